/** The shapes the widget reads (CONTRACTS.md); only the fields it uses. */
export interface Citation {
  n: number;
  matterId: string;
  matterName: string;
  section: string;
  quote: string;
  url: string;
}

export interface AnswerData {
  answerId: string;
  conversationId: string;
  citations: Citation[];
  matters: { id: string; name: string; score: number }[];
  refused: boolean;
  clarify?: { question: string; options: { id: string; name: string }[] };
  followUps?: string[];
  mode: 'extractive' | 'llm';
  notice?: string;
  timings?: Record<string, number>;
}

export interface Source {
  n: number;
  url: string;
  title: string;
}

export interface ChatMessage {
  id: string;
  role: 'user' | 'assistant';
  /** What is sent to the service as the message text. */
  text: string;
  /** What is shown instead, when different (an option's name after a clarification). */
  label?: string;
  sources?: Source[];
  answer?: AnswerData;
  error?: string;
  rating?: 'up' | 'down';
  /** A note of the widget's own (hand-off), never sent. */
  note?: boolean;
}

export interface Material {
  name: string;
  form: string;
  copies: number;
  required: boolean;
  when: string;
  exempt: boolean;
  requirements: string;
}

export interface Guide {
  id: string;
  name: string;
  department: string;
  audience: string[];
  materials: Material[];
}

export interface MatterItem {
  id: string;
  name: string;
  department: string;
}

export type MaterialStatus = 'provided' | 'missing' | 'problem' | 'exempt' | 'conditional' | 'optional';

export interface PrecheckReport {
  matterId: string;
  summary: string;
  materials: {
    index: number;
    name: string;
    status: MaterialStatus;
    files: string[];
    problems: { code: string; message: string; advice: string }[];
    citation?: Citation;
    /** The guide's material entry (extensions of the contract's report). */
    form?: string;
    copies?: number;
    requirements?: string;
    /** For a conditional material nobody declared: the question to ask. */
    question?: string;
  }[];
  unmatched: { file: string; reason: string; advice?: string }[];
  disclaimer?: string;
}

export type Mode = 'portal' | 'hall' | 'kiosk';
export type Lang = 'zh-CN' | 'en';
