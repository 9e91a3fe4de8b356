import type { SipTransport } from '../config/types.js';
import { splitHeaderList } from './sip-headers.js';
import type { SrfApi, SrfRequestOptions, SrfResponse, SrfSentRequest } from './srf-types.js';

/** Pieces of REGISTER handling that are plain text work: URIs, Contact lists, granted expiry. */

/** Host (and port) of a sip: URI, e.g. `pbx.example.com` for `sip:jigasi@pbx.example.com;transport=tcp`. */
export function uriHost(uri: string): string | undefined {
  return /^sips?:(?:[^@]*@)?([^;?>]+)/i.exec(uri.trim())?.[1];
}

export function transportParam(transport: SipTransport): string {
  return transport === 'udp' ? '' : `;transport=${transport}`;
}

/** The URI of one contact entry, lower-cased and without URI parameters, for comparisons. */
function contactKey(entry: string): string {
  const angle = /<([^>]*)>/.exec(entry);
  const uri = angle?.[1] ?? entry.split(';')[0] ?? entry;
  return (uri.split(';')[0] ?? uri).trim().toLowerCase();
}

function expiresParam(entry: string): number | undefined {
  const params = entry.includes('>') ? entry.slice(entry.lastIndexOf('>') + 1) : entry;
  const m = /;\s*expires\s*=\s*(\d+)/i.exec(params);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/**
 * The expiry the registrar granted our binding: the `expires` parameter of our Contact in the
 * 200 (registrars list every binding of the AOR there), else the Expires header, else what we
 * asked for (RFC 3261 10.2.4).
 */
export function grantedExpiry(res: SrfResponse, sent: SrfSentRequest, asked: number): number {
  const contacts = splitHeaderList(res.get('Contact') ?? '');
  const ours = contactKey(sent.get('Contact') ?? '');
  const mine = contacts.find((c) => contactKey(c) === ours) ?? (contacts.length === 1 ? contacts[0] : undefined);
  const fromContact = mine === undefined ? undefined : expiresParam(mine);
  if (fromContact !== undefined) return fromContact;
  const header = res.get('Expires');
  if (header !== undefined && /^\s*\d+\s*$/.test(header)) return Number(header);
  return asked;
}

/** The CSeq number of a message, if it has a readable one. */
export function cseqNumber(msg: { get(name: string): string | undefined }): number | undefined {
  const m = /^\s*(\d+)/.exec(msg.get('CSeq') ?? '');
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

export class RequestNotSentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestNotSentError';
  }
}

/**
 * Sends a request outside a dialog and resolves with it and its final response (undefined after
 * `timeoutMs`); rejects with RequestNotSentError when drachtio could not send it.
 */
export function requestOutsideDialog(
  srf: SrfApi,
  uri: string,
  opts: SrfRequestOptions,
  timeoutMs: number,
  /** Stops waiting (resolves without a response) so no timer outlives the caller's interest. */
  signal?: AbortSignal,
): Promise<{ sent: SrfSentRequest; res: SrfResponse | undefined }> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onSent = (err: unknown, sent?: SrfSentRequest): void => {
      if (err || sent === undefined) {
        reject(new RequestNotSentError(err instanceof Error ? err.message : String(err ?? 'no request')));
        return;
      }
      const settle = (res: SrfResponse | undefined): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve({ sent, res });
      };
      const onAbort = (): void => settle(undefined);
      if (signal?.aborted) return settle(undefined);
      signal?.addEventListener('abort', onAbort, { once: true });
      timer = setTimeout(() => settle(undefined), timeoutMs);
      sent.on('response', (res) => {
        if (res.status >= 200) settle(res);
      });
    };
    try {
      srf.request(uri, opts, onSent);
    } catch (err) {
      // srf throws synchronously when it has no drachtio connection at all.
      reject(new RequestNotSentError(err instanceof Error ? err.message : String(err)));
    }
  });
}
