import type { Logger } from '../log.js';
import { cseqNumber, requestOutsideDialog, RequestNotSentError } from './registration-messages.js';
import { q850Reason } from './sip-headers.js';
import type { SrfApi, SrfDialog } from './srf-types.js';

/**
 * Everything needed to end an established dialog without drachtio-server's help: after a
 * drachtio-server restart the new server knows nothing of it (the phone's BYE would get 481),
 * so the BYE must be built whole from what the app saw when the dialog was made.
 */
export interface LostDialog {
  callId: string;
  /** The far end's Contact: where in-dialog requests go. */
  requestUri: string;
  /** Our side of the dialog, with our tag. */
  from: string;
  /** The far end, with its tag. */
  to: string;
  /** CSeq number for the BYE, above every request we sent in the dialog. */
  cseq: number;
  /** The first loose-routing hop of the route set, if the dialog was record-routed. */
  nextHop: string | undefined;
  lostAt: number;
}

/** Splits a header value that may hold several comma-separated name-addrs (commas inside <> and quotes kept). */
export function splitNameAddrs(value: string | undefined): string[] {
  if (value === undefined) return [];
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '<') depth++;
    else if (!quoted && ch === '>') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0 && !quoted) {
      if (cur.trim() !== '') out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

/** The next hop of a route set (RFC 3261 §12.1): only a loose router (`;lr`) can take the request for us. */
function looseNextHop(routeSet: readonly string[]): string | undefined {
  const first = routeSet[0];
  if (first === undefined) return undefined;
  const uri = /<([^>]+)>/.exec(first)?.[1] ?? first;
  return /;lr\b/i.test(uri) ? uri : undefined;
}

/**
 * The identity of an established dialog as srf holds it. srf keeps no route set or CSeq of its
 * own (drachtio-server's leg does), so they come from the dialog-forming messages and from the
 * highest CSeq the leg itself has sent.
 */
export function lostDialogOf(dialog: SrfDialog, lastLocalCseq: number | undefined, now = Date.now()): LostDialog | undefined {
  const uas = dialog.type === 'uas';
  const invite = dialog.req;
  const from = uas ? withTag(invite.get('To'), dialog.sip.localTag) : invite.get('From');
  const to = uas ? invite.get('From') : dialog.res.get('To');
  if (from === undefined || to === undefined) return undefined;
  const recordRoute = splitNameAddrs(uas ? invite.get('Record-Route') : dialog.res.get('Record-Route'));
  // The UAS keeps the request's order; the UAC reverses the response's (RFC 3261 §12.1.1, §12.1.2).
  const routeSet = uas ? recordRoute : [...recordRoute].reverse();
  const sent = uas ? 0 : (cseqNumber(invite) ?? 0);
  return {
    callId: dialog.sip.callId,
    requestUri: dialog.remote.uri,
    from,
    to,
    cseq: Math.max(sent, lastLocalCseq ?? 0) + 1,
    nextHop: looseNextHop(routeSet),
    lostAt: now,
  };
}

function withTag(nameAddr: string | undefined, tag: string): string | undefined {
  if (nameAddr === undefined) return undefined;
  return /;\s*tag=/i.test(nameAddr) ? nameAddr : `${nameAddr};tag=${tag}`;
}

export interface LostDialogReleaserOptions {
  srf: SrfApi;
  log: Logger;
  /** A dialog lost longer ago than this is forgotten unreleased (the phone has surely given up). */
  maxAgeMs?: number;
  /** At most this many dialogs are remembered; the oldest go first. */
  maxPending?: number;
  /** How long to wait for the answer to each BYE. */
  responseTimeoutMs?: number;
}

/**
 * Remembers the dialogs a lost drachtio connection took with it and, once the connection is back,
 * ends each with a BYE built from its identity. Whether drachtio-server restarted (it knows
 * nothing of the dialog and sends the request as given) or only the connection dropped (it
 * recognises the Call-ID and sends it inside the dialog it still holds), the phone hears BYE.
 */
export class LostDialogReleaser {
  readonly #o: LostDialogReleaserOptions;
  readonly #pending = new Map<string, LostDialog>();
  #releasing: Promise<void> | undefined;

  constructor(opts: LostDialogReleaserOptions) {
    this.#o = opts;
  }

  get pending(): number {
    return this.#pending.size;
  }

  add(d: LostDialog): void {
    this.#pending.set(d.callId, d);
    const max = this.#o.maxPending ?? 10_000;
    for (const key of this.#pending.keys()) {
      if (this.#pending.size <= max) break;
      this.#pending.delete(key);
    }
  }

  /** Sends every pending BYE (call when the connection is up again); one release runs at a time. */
  release(now = Date.now()): Promise<void> {
    this.#releasing ??= this.#release(now).finally(() => {
      this.#releasing = undefined;
    });
    return this.#releasing;
  }

  async #release(now: number): Promise<void> {
    const maxAge = this.#o.maxAgeMs ?? 3_600_000;
    const batch = [...this.#pending.values()];
    this.#pending.clear();
    const due = batch.filter((d) => now - d.lostAt <= maxAge);
    if (due.length < batch.length) this.#o.log.warn({ dropped: batch.length - due.length }, 'lost dialogs too old to end');
    if (due.length === 0) return;
    this.#o.log.info({ dialogs: due.length }, 'ending the dialogs the lost drachtio connection took');
    await Promise.all(due.map((d) => this.#bye(d)));
  }

  async #bye(d: LostDialog): Promise<void> {
    const log = this.#o.log.child({ sipCallId: d.callId });
    try {
      const { res } = await requestOutsideDialog(
        this.#o.srf,
        d.requestUri,
        {
          method: 'BYE',
          headers: {
            From: d.from,
            To: d.to,
            'Call-ID': d.callId,
            CSeq: `${d.cseq} BYE`,
            Reason: q850Reason('gateway signalling restarted'),
          },
          ...(d.nextHop !== undefined ? { proxy: d.nextHop } : {}),
        },
        this.#o.responseTimeoutMs ?? 5000,
      );
      // 481: the phone had already hung up (its BYE met the outage); either way it is off the line.
      log.info({ status: res?.status, deadMs: Date.now() - d.lostAt }, 'BYE sent for a dialog lost with drachtio');
    } catch (err) {
      // Not sent means the connection went again: try once more when it is back.
      if (err instanceof RequestNotSentError) this.add(d);
      log.warn({ err, deadMs: Date.now() - d.lostAt }, 'could not send BYE for a lost dialog');
    }
  }
}
