import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Parser, type Element } from '@xmpp/xml';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const fixturesDir = path.join(repoRoot, 'test/fixtures/jingle');

/** Parses one XML document (comments around the root are ignored) into an ltx element tree. */
export function parseXml(text: string): Element {
  const parser = new Parser();
  let root: Element | null = null;
  let error: unknown;
  parser.on('start', (el: Element) => {
    root = el;
  });
  // @xmpp/xml's stream parser hands the root's children over separately.
  parser.on('element', (el: Element) => {
    root?.append(el);
  });
  parser.on('error', (err: unknown) => {
    error = err;
  });
  parser.write(text);
  parser.end('');
  if (error !== undefined) throw error;
  if (root === null) throw new Error('no root element');
  return root;
}

export function fixture(name: string): Element {
  return parseXml(readFileSync(path.join(fixturesDir, name), 'utf8'));
}

export function fixtureText(name: string): string {
  return readFileSync(path.join(fixturesDir, name), 'utf8');
}

/** A shared reference stanza (CI checks out shared/ beside the repo), or undefined when absent. */
export function sharedStanzaText(name: string): string | undefined {
  const p = path.resolve(repoRoot, '../shared/reference/stanzas', name);
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
}

export interface CanonicalElement {
  name: string;
  ns: string | undefined;
  attrs: Record<string, string>;
  text: string;
  children: CanonicalElement[];
}

/**
 * Structure that matters on the wire: names, effective namespaces, attributes (xmlns declarations
 * excluded: they show up as `ns`), trimmed text, and child order.
 */
export function canonical(el: Element): CanonicalElement {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(el.attrs as Record<string, unknown>)) {
    if (k === 'xmlns' || k.startsWith('xmlns:') || v === undefined) continue;
    attrs[k] = String(v);
  }
  const text = el.children
    .filter((c): c is string => typeof c === 'string')
    .join('')
    .trim();
  return { name: el.name, ns: el.getNS(), attrs, text, children: el.getChildElements().map(canonical) };
}

/** Round-trips an element through its serialization, as the wire would. */
export function reparse(el: Element): Element {
  return parseXml(el.toString());
}
