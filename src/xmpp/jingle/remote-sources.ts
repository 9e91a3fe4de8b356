import type { JingleContent, JingleSource } from './types.js';

/** A source of another participant (or of the bridge, owner 'jvb') as the focus announced it. */
export interface RemoteSource extends JingleSource {
  /** 'audio' or 'video'. */
  media: string;
  contentName: string;
}

function sourcesOf(contents: readonly JingleContent[]): RemoteSource[] {
  const out: RemoteSource[] = [];
  for (const c of contents) {
    const media = c.media ?? c.name;
    for (const s of c.sources) out.push({ ...s, parameters: { ...s.parameters }, media, contentName: c.name });
  }
  return out;
}

/** The current remote sources of one Jingle session, keyed by SSRC. */
export class RemoteSourceMap {
  readonly #bySsrc = new Map<number, RemoteSource>();

  list(): RemoteSource[] {
    return [...this.#bySsrc.values()];
  }

  get(ssrc: number): RemoteSource | undefined {
    return this.#bySsrc.get(ssrc);
  }

  get size(): number {
    return this.#bySsrc.size;
  }

  clear(): void {
    this.#bySsrc.clear();
  }

  /** Adds (or updates) the contents' sources; returns what was added or changed. */
  add(contents: readonly JingleContent[]): RemoteSource[] {
    const added = sourcesOf(contents);
    for (const s of added) this.#bySsrc.set(s.ssrc, s);
    return added;
  }

  /**
   * Removes the contents' SSRCs; returns the removed entries as they were known (a source-remove
   * usually repeats the owner, but the map's copy is the authority).
   */
  remove(contents: readonly JingleContent[]): { removed: RemoteSource[]; unknown: number[] } {
    const removed: RemoteSource[] = [];
    const unknown: number[] = [];
    for (const s of sourcesOf(contents)) {
      const known = this.#bySsrc.get(s.ssrc);
      if (known) {
        this.#bySsrc.delete(s.ssrc);
        removed.push(known);
      } else {
        unknown.push(s.ssrc);
      }
    }
    return { removed, unknown };
  }

  /** Replaces the whole set (session-initiate, transport-replace); returns the difference. */
  replace(contents: readonly JingleContent[]): { added: RemoteSource[]; removed: RemoteSource[] } {
    const next = new Map(sourcesOf(contents).map((s) => [s.ssrc, s] as const));
    const removed = [...this.#bySsrc.values()].filter((s) => !next.has(s.ssrc));
    const added = [...next.values()].filter((s) => {
      const prev = this.#bySsrc.get(s.ssrc);
      return prev === undefined || prev.owner !== s.owner || prev.name !== s.name || prev.msid !== s.msid;
    });
    this.#bySsrc.clear();
    for (const [ssrc, s] of next) this.#bySsrc.set(ssrc, s);
    return { added, removed };
  }
}
