/** Loads tokenizer files we generate into transformers.js, from a temporary directory, offline. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';

export async function loadHfTokenizer(files: Record<string, unknown>): Promise<PreTrainedTokenizer> {
  const root = mkdtempSync(join(tmpdir(), 'paissive-tok-'));
  const dir = join(root, 'tok');
  mkdirSync(dir);
  for (const [name, value] of Object.entries(files)) writeFileSync(join(dir, name), JSON.stringify(value));
  env.allowRemoteModels = false;
  // An absolute path is not a Hub model id, so transformers.js reads it as is (no env.localModelPath).
  try {
    return await AutoTokenizer.from_pretrained(dir);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
