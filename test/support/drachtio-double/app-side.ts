import {
  buildResponse,
  canonical,
  hostPortOf,
  newBranch,
  randomToken,
  SipMessage,
  tagOf,
  uriOf,
  withTag,
  type ResponseOptions,
} from '../sip-messages.js';
import type { AppConnection } from './app-connection.js';
import { dialogIdFor, type DialogRecord } from './dialogs.js';
import { STACK_HEADERS, type CapturedRequest, type ClientTxn, type StackContext } from './stack-context.js';
import { apiResponse, newId, requestSentResponse, sipMessageToApp } from './wire.js';

/** `toTag` replaces the double's own tag for this transaction (a relayed real peer's answer). */
export type RespondOptions = ResponseOptions;

class Refusal extends Error {}

/**
 * Requests the app sends (`sip|<txnId>|<dialogId>[|<route>]` + a request line) and the test's
 * answers to them. Like drachtio-server, the stack completes what srf leaves out: Via,
 * Max-Forwards, From tag, To, Call-ID, CSeq, Contact, Content-Type for SDP, Content-Length;
 * inside a dialog it also fills the Request-URI (srf sends `sip:placeholder`), the tags and CSeq.
 */
export class AppSide {
  constructor(private readonly ctx: StackContext) {}

  request(conn: AppConnection, msgId: string, args: readonly string[], msg: SipMessage): void {
    const [txnId = '', dialogId = '', routeUrl = ''] = args;
    try {
      if (dialogId) this.#inDialog(conn, msgId, this.ctx.dialogs.get(dialogId), msg);
      else if (txnId) this.#cancel(conn, msgId, txnId, msg);
      else {
        // drachtio-server treats a request naming the Call-ID of an established dialog as in-dialog.
        const callId = msg.get('call-id');
        const d = callId === undefined ? undefined : this.ctx.dialogs.byCallId(callId);
        if (d && d.status >= 200 && d.status < 300) this.#inDialog(conn, msgId, d, msg);
        else this.#outsideDialog(conn, msgId, msg, routeUrl);
      }
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      conn.send(apiResponse(msgId, 'NOK', err.message));
    }
  }

  /** The test (as the far end) answers a request the app sent. */
  respond(captured: CapturedRequest, status: number, opts: RespondOptions = {}): SipMessage {
    const txn = this.ctx.clientTxns.get(captured.transactionId);
    if (!txn) throw new Error(`no open transaction for ${captured.method} ${captured.transactionId} (ACKs get no response)`);
    if (txn.finalStatus !== undefined) throw new Error(`${captured.method} was already answered with ${txn.finalStatus}`);
    const req = txn.request;
    const method = req.method;
    const user = /^sips?:([^@;>]+)@/i.exec(req.uri ?? '')?.[1];
    const formsDialog = method === 'INVITE' && status > 100 && status < 300;
    const res = buildResponse(req, status, {
      ...opts,
      toTag: opts.toTag ?? txn.toTag,
      contact: opts.contact ?? (formsDialog ? `sip:${user ? `${user}@` : ''}${txn.destination.address}:${txn.destination.port}` : undefined),
    });
    if (status >= 200) txn.finalStatus = status;

    const d = txn.dialogId ? this.ctx.dialogs.get(txn.dialogId) : undefined;
    if (method === 'INVITE' && d) this.#inviteResponse(txn, d, res);
    if (method === 'BYE' && d && status >= 200) this.ctx.dialogs.delete(d.id);

    if (txn.passResponsesUp && !txn.conn.closed) {
      const meta = { source: 'network' as const, protocol: 'udp', ...txn.destination };
      txn.conn.send(sipMessageToApp(meta, res.toString(), txn.id, txn.dialogId));
    }
    if (status >= 200) this.ctx.clientTxns.delete(txn.id);
    return res;
  }

  #outsideDialog(conn: AppConnection, msgId: string, msg: SipMessage, routeUrl: string): void {
    const method = msg.method ?? '';
    const uri = msg.uri ?? '';
    if (!/^(sips?|tel):/i.test(uri)) throw new Refusal(`invalid request-uri: ${method} ${uri} SIP/2.0`);
    let destination: { address: string; port: number };
    try {
      const hp = hostPortOf(routeUrl || uri);
      destination = { address: hp.host, port: hp.port };
    } catch {
      throw new Refusal('requested protocol/transport not available');
    }
    if (`${destination.address}:${destination.port}` === this.ctx.hostport) throw new Refusal('can not send request to myself');

    const givenFrom = msg.get('from');
    const from = withTag(givenFrom === undefined ? this.ctx.contact : givenFrom.replace('localhost', this.ctx.hostport), randomToken());
    const out = new SipMessage({ method, uri })
      .add('Via', this.#via())
      .add('Max-Forwards', msg.get('max-forwards') ?? '70')
      .add('From', from)
      .add('To', msg.get('to') ?? `<${uri}>`)
      .add('Call-ID', msg.get('call-id') ?? `${randomToken(12)}@${this.ctx.config.sipAddress}`)
      .add('CSeq', msg.get('cseq') ?? `1 ${method}`);
    if ((method === 'INVITE' || method === 'SUBSCRIBE') && !msg.has('contact')) out.add('Contact', this.ctx.contact);
    this.#copyAppHeadersAndBody(msg, out);

    let dialogId = '';
    if (method === 'INVITE') {
      const localTag = tagOf(from) ?? '';
      dialogId = dialogIdFor(out.callId, localTag);
      // A retry after a digest challenge reuses Call-ID and From tag: it replaces the failed attempt.
      this.ctx.dialogs.add({
        id: dialogId,
        callId: out.callId,
        role: 'uac',
        localTag,
        remoteTag: undefined,
        local: from,
        remote: out.require('to'),
        localContact: out.require('contact'),
        remoteTarget: uri,
        localCseq: out.cseq.seq,
        ackCseq: undefined,
        status: 0,
        conn,
        peer: destination,
      });
    }
    this.#send(conn, msgId, out, msg, dialogId, destination, true);
  }

  #inDialog(conn: AppConnection, msgId: string, d: DialogRecord | undefined, msg: SipMessage): void {
    const method = msg.method ?? '';
    if (!d) {
      throw new Refusal(method === 'ACK'
        ? 'Server error: ACK for non-success final response is automatically generated by server'
        : 'Server error: unable to find dialog for dialog id provided');
    }
    if (method === 'ACK' && d.ackCseq === undefined) {
      throw new Refusal('ACK for non-success responses is automatically generated by the stack');
    }
    const target = hostPortOf(d.remoteTarget);
    const uri = method === 'ACK' || !msg.uri || msg.uri.includes('placeholder') ? d.remoteTarget : msg.uri;
    let seq: number;
    if (method === 'ACK') {
      seq = d.ackCseq ?? 0;
      d.ackCseq = undefined;
    } else {
      d.localCseq += 1;
      seq = d.localCseq;
    }
    const out = new SipMessage({ method, uri })
      .add('Via', this.#via())
      .add('Max-Forwards', '70')
      .add('From', d.local)
      .add('To', d.remote)
      .add('Call-ID', d.callId)
      .add('CSeq', `${seq} ${method}`);
    if ((method === 'INVITE' || method === 'SUBSCRIBE' || method === 'REFER') && !msg.has('contact')) {
      out.add('Contact', d.localContact);
    }
    this.#copyAppHeadersAndBody(msg, out);
    this.#send(conn, msgId, out, msg, d.id, { address: target.host, port: target.port }, method !== 'ACK');
  }

  #cancel(conn: AppConnection, msgId: string, txnId: string, msg: SipMessage): void {
    const inv = this.ctx.clientTxns.get(txnId);
    if (msg.method !== 'CANCEL' || !inv || inv.request.method !== 'INVITE' || inv.finalStatus !== undefined) {
      throw new Refusal(`unable to cancel unknown transaction id: ${txnId}`);
    }
    const req = inv.request;
    const out = new SipMessage({ method: 'CANCEL', uri: req.uri })
      .add('Via', req.require('via'))
      .add('Max-Forwards', '70')
      .add('From', req.require('from'))
      .add('To', req.require('to'))
      .add('Call-ID', req.callId)
      .add('CSeq', `${req.cseq.seq} CANCEL`);
    this.#copyAppHeadersAndBody(msg, out);
    // The 200 to a CANCEL never reaches the app: sofia answers for it.
    this.#send(conn, msgId, out, msg, '', inv.destination, true, false);
  }

  #inviteResponse(txn: ClientTxn, d: DialogRecord, res: SipMessage): void {
    const status = res.status ?? 0;
    if (d.status === 0) {
      const tag = res.toTag;
      if (status > 100 && status < 300 && tag) {
        d.remoteTag = tag;
        d.remote = res.require('to');
        const contact = res.get('contact');
        if (contact) d.remoteTarget = uriOf(contact);
      }
      if (status >= 200 && status < 300) d.status = status;
    }
    if (status >= 200 && status < 300) d.ackCseq = txn.request.cseq.seq;
    if (status >= 300) {
      this.#stackAck(txn, res);
      if (d.status === 0) this.ctx.dialogs.delete(d.id);
    }
  }

  /** The ACK sofia sends by itself for a failure response: same branch and Request-URI as the INVITE. */
  #stackAck(txn: ClientTxn, res: SipMessage): void {
    const req = txn.request;
    const ack = new SipMessage({ method: 'ACK', uri: req.uri })
      .add('Via', req.require('via'))
      .add('Max-Forwards', '70')
      .add('From', req.require('from'))
      .add('To', res.require('to'))
      .add('Call-ID', req.callId)
      .add('CSeq', `${req.cseq.seq} ACK`);
    this.ctx.captured.push({
      method: 'ACK',
      uri: ack.uri ?? '',
      message: ack,
      fromApp: undefined,
      transactionId: newId(),
      dialogId: txn.dialogId,
      origin: 'stack',
      destination: txn.destination,
    });
  }

  #copyAppHeadersAndBody(from: SipMessage, to: SipMessage): void {
    for (const [n, v] of from.headers) {
      const key = canonical(n);
      if (!STACK_HEADERS.has(key) && !(key === 'contact' && to.has('contact'))) to.add(n, v);
    }
    if (from.body) {
      if (!to.has('content-type')) {
        if (!from.body.startsWith('v=0')) throw new Refusal('missing content-type');
        to.add('Content-Type', 'application/sdp');
      }
      to.body = from.body;
    }
  }

  #via(): string {
    return `SIP/2.0/UDP ${this.ctx.hostport};rport;branch=${newBranch()}`;
  }

  #send(
    conn: AppConnection,
    msgId: string,
    out: SipMessage,
    fromApp: SipMessage,
    dialogId: string,
    destination: { address: string; port: number },
    opensTransaction: boolean,
    passResponsesUp = true,
  ): void {
    const id = newId();
    if (opensTransaction) {
      this.ctx.clientTxns.set(id, {
        id,
        request: out,
        conn,
        dialogId,
        destination,
        toTag: out.toTag ?? randomToken(),
        passResponsesUp,
        finalStatus: undefined,
      });
    }
    conn.send(requestSentResponse(msgId, this.ctx.appMeta(), out.toString(), id));
    this.ctx.captured.push({
      method: out.method ?? '',
      uri: out.uri ?? '',
      message: out,
      fromApp,
      transactionId: id,
      dialogId,
      origin: 'app',
      destination,
    });
  }
}
