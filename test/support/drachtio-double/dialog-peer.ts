import {
  asMessage,
  DEFAULT_PHONE,
  headerPairs,
  SipMessage,
  uriOf,
  viaFor,
  type Endpoint,
  type HeaderInput,
} from '../sip-messages.js';

export interface InDialogOptions {
  headers?: HeaderInput;
  body?: string;
  contentType?: string;
}

/** The test's half of a dialog: builds in-dialog requests with the right tags, target and CSeq. */
export class DialogPeer {
  #cseq: number;

  constructor(
    readonly callId: string,
    /** Our name-addr, with our tag. */
    readonly local: string,
    /** The app's name-addr, with its tag. */
    readonly remote: string,
    /** Where in-dialog requests go: the app's Contact URI. */
    readonly remoteTarget: string,
    cseq: number,
    readonly via: Endpoint = DEFAULT_PHONE,
  ) {
    this.#cseq = cseq;
  }

  request(method: string, opts: InDialogOptions = {}): string {
    this.#cseq += 1;
    const m = new SipMessage({ method: method.toUpperCase(), uri: this.remoteTarget });
    m.add('Via', viaFor(this.via))
      .add('Max-Forwards', '70')
      .add('From', this.local)
      .add('To', this.remote)
      .add('Call-ID', this.callId)
      .add('CSeq', `${this.#cseq} ${method.toUpperCase()}`);
    if (['INVITE', 'UPDATE', 'REFER', 'NOTIFY', 'SUBSCRIBE'].includes(method.toUpperCase())) {
      m.add('Contact', `<sip:${this.via.host}:${this.via.port}>`);
    }
    for (const [n, v] of headerPairs(opts.headers)) m.set(n, v);
    if (opts.body) {
      m.set('Content-Type', opts.contentType ?? 'application/sdp');
      m.body = opts.body;
    }
    return m.toString();
  }

  bye(opts?: InDialogOptions): string {
    return this.request('BYE', opts);
  }

  info(opts: { contentType: string; body: string; headers?: HeaderInput }): string {
    return this.request('INFO', opts);
  }

  reinvite(sdp: string, opts: Omit<InDialogOptions, 'body'> = {}): string {
    return this.request('INVITE', { ...opts, body: sdp, contentType: 'application/sdp' });
  }

  /** A REFER asking the app to call `referTo` (a name-addr or a bare URI) instead (RFC 3515). */
  refer(referTo: string, opts: { referredBy?: string; headers?: HeaderInput } = {}): string {
    return this.request('REFER', {
      headers: [...headerPairs(opts.headers), ['Refer-To', referTo], ...(opts.referredBy !== undefined ? [['Referred-By', opts.referredBy] as [string, string]] : [])],
    });
  }

  /** A NOTIFY reporting a REFER's progress as message/sipfrag (`final` ends the subscription). */
  referNotify(status: number, reason: string, opts: { final?: boolean; referCseq?: number } = {}): string {
    const final = opts.final ?? status >= 200;
    return this.request('NOTIFY', {
      headers: {
        Event: opts.referCseq === undefined ? 'refer' : `refer;id=${opts.referCseq}`,
        'Subscription-State': final ? 'terminated;reason=noresource' : 'active;expires=60',
      },
      body: `SIP/2.0 ${status} ${reason}\r\n`,
      contentType: 'message/sipfrag;version=2.0',
    });
  }

  update(sdp?: string): string {
    return this.request('UPDATE', sdp ? { body: sdp, contentType: 'application/sdp' } : {});
  }
}

/** The caller's side of a dialog the app answered (inbound call): we sent `invite`, got `final`. */
export function callerDialog(inviteText: string | SipMessage, finalResponse: string | SipMessage): DialogPeer {
  const inv = asMessage(inviteText);
  const res = asMessage(finalResponse);
  const via = /^SIP\/2\.0\/(\w+)\s+([^:;\s]+):(\d+)/i.exec(inv.require('via'));
  const ep: Endpoint = via?.[2] && via[3] ? { host: via[2], port: Number(via[3]), transport: 'UDP' } : DEFAULT_PHONE;
  return new DialogPeer(inv.callId, inv.require('from'), res.require('to'), uriOf(res.require('contact')), inv.cseq.seq, ep);
}

/**
 * The callee's side of a dialog the app created (outbound call): the app sent `inviteReq`, we
 * answered with `ourFinal` (which carries our To tag).
 */
export function calleeDialog(inviteReq: string | SipMessage, ourFinal: string | SipMessage, cseq = 1): DialogPeer {
  const inv = asMessage(inviteReq);
  const res = asMessage(ourFinal);
  return new DialogPeer(inv.callId, res.require('to'), inv.require('from'), uriOf(inv.require('contact')), cseq);
}
