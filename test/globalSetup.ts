import { ingest } from '../ingest/build.ts';

/** One index of the repo's own knowledge/ for all retrieval tests (cached by content hash across runs). */
export const TEST_INDEX = '.index-test';

export default async function setup(): Promise<void> {
  await ingest({ knowledgeDir: 'knowledge', outDir: TEST_INDEX, quiet: true });
}
