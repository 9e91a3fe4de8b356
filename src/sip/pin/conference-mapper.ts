/**
 * Client of Jitsi's conference mapper API (the service Jitsi Meet shows dial-in PINs from):
 * `GET <url>?id=<pin>` answers `{"id": <pin>, "conference": "room@muc" | false}`.
 */
export class ConferenceMapperError extends Error {
  readonly metricLabel = 'upstream_error';
  constructor(message: string) {
    super(message);
    this.name = 'ConferenceMapperError';
  }
}

export interface PinLookup {
  /** The room JID for a PIN, or undefined when the PIN is unknown. */
  roomForPin(pin: string): Promise<string | undefined>;
  /**
   * Every PIN's length, when the mapper guarantees one (the built-in mapper): the prompt then
   * stops listening at the last digit, so the caller need not press '#'.
   */
  readonly pinLength?: number;
}

export class ConferenceMapperClient implements PinLookup {
  constructor(
    private readonly url: string,
    private readonly timeoutMs = 3000,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async roomForPin(pin: string): Promise<string | undefined> {
    if (!/^\d{1,20}$/.test(pin)) return undefined;
    const u = new URL(this.url);
    u.searchParams.set('id', pin);
    let res: Response;
    try {
      res = await this.fetchImpl(u, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } });
    } catch (err) {
      throw new ConferenceMapperError(`conference mapper unreachable: ${(err as Error).message}`);
    }
    // Some mapper deployments answer an unknown PIN with 404 rather than conference=false.
    if (res.status === 404) return undefined;
    if (!res.ok) throw new ConferenceMapperError(`conference mapper answered HTTP ${res.status}`);
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new ConferenceMapperError('conference mapper answered something that is not JSON');
    }
    if (body === null || typeof body !== 'object') throw new ConferenceMapperError('conference mapper answered an unexpected shape');
    const conference = (body as { conference?: unknown }).conference;
    if (conference === false || conference === null || conference === undefined || conference === '') return undefined;
    if (typeof conference !== 'string') throw new ConferenceMapperError('conference mapper answered a non-string conference');
    return conference;
  }
}
