/**
 * Parsers for the plain-text training data in models/data. Pure string -> structure, so tests can feed
 * them small inline samples.
 * @module
 */

function contentLines(text: string): string[] {
  return text.split('\n').map((l) => l.trim());
}

/** Stories: one sentence per line, a blank line between stories, `#` comment lines ignored. */
export function parseStories(text: string): string[][] {
  const stories: string[][] = [];
  let current: string[] = [];
  for (const line of contentLines(text)) {
    if (line.startsWith('#')) continue;
    if (line === '') {
      if (current.length) stories.push(current);
      current = [];
    } else current.push(line);
  }
  if (current.length) stories.push(current);
  return stories;
}

export interface Labelled {
  readonly label: string;
  readonly text: string;
}

/** `LABEL<TAB>text` lines; blank and `#` lines ignored. */
export function parseLabelled(text: string): Labelled[] {
  const out: Labelled[] = [];
  for (const line of contentLines(text)) {
    if (line === '' || line.startsWith('#')) continue;
    const tab = line.indexOf('\t');
    if (tab < 0) throw new Error(`expected LABEL<TAB>text: ${line}`);
    out.push({ label: line.slice(0, tab).trim(), text: line.slice(tab + 1).trim() });
  }
  return out;
}

/** Topic groups: a `## topic` line starts a group, each following non-blank line is one sentence. */
export function parseTopics(text: string): Labelled[] {
  const out: Labelled[] = [];
  let topic: string | null = null;
  for (const line of contentLines(text)) {
    if (line.startsWith('## ')) topic = line.slice(3).trim();
    else if (line === '' || line.startsWith('#')) continue;
    else if (topic === null) throw new Error(`sentence before any "## topic" line: ${line}`);
    else out.push({ label: topic, text: line });
  }
  return out;
}
