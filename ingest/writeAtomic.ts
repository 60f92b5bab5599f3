import fs from 'node:fs';

/** Writes a file so that a reader sees the old or the new content, never half of it (temp file + rename). */
export function writeAtomic(file: string, data: string | Buffer | ((tmp: string) => void)): void {
  const tmp = `${file}.${process.pid}.tmp`;
  if (typeof data === 'function') data(tmp);
  else fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}
