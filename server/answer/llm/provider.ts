import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import type { Config } from '../../config.ts';

/**
 * The language model, when one is configured: any OpenAI-compatible server (vLLM, Ollama, Xinference,
 * DashScope/Qwen) through the AI SDK. Unset → undefined, and answers stay extractive.
 */
export function modelFromConfig(config: Pick<Config, 'LLM_BASE_URL' | 'LLM_MODEL' | 'LLM_API_KEY'>): LanguageModel | undefined {
  if (!config.LLM_BASE_URL || !config.LLM_MODEL) return undefined;
  const provider = createOpenAICompatible({ name: 'huiban-llm', baseURL: config.LLM_BASE_URL, apiKey: config.LLM_API_KEY });
  return provider.chatModel(config.LLM_MODEL);
}
