import {
  buildResponse,
  canonical,
  parseSipMessage,
  randomToken,
  REASONS,
  SipMessage,
  tagOf,
  uriOf,
  withTag,
} from '../sip-messages.js';
import type { AppConnection } from './app-connection.js';
import { dialogIdFor } from './dialogs.js';
import { Mailbox } from './mailbox.js';
import { STACK_HEADERS, type StackContext } from './stack-context.js';
import { apiResponse, newId, responseSentResponse, sipMessageToApp, type SipMeta } from './wire.js';

export interface InjectOptions {
  /** Where the request claims to come from (metadata only; nothing is sent there). */
  source?: { address: string; port: number };
  protocol?: 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';
}

/** The test's view of one request it injected: the responses that went back to the network. */
export class InjectedRequest {
  readonly #responses = new Mailbox<SipMessage>();
  readonly #fromStack = new WeakSet<SipMessage>();
  readonly #listeners: Array<(m: SipMessage) => void> = [];
  /** Responses the app tried to send after the transaction had ended (the stack refused them). */
  readonly refused: SipMessage[] = [];
  /** Transaction id the app saw; undefined when the stack handled the request alone. */
  transactionId: string | undefined;
  /** Requests to deliver in the same read as the stack's confirmation of the app's response (see inSameReadAs). */
  sameRead: { status: number; requests: (res: SipMessage) => string[] } | undefined;
  /** True when the request was passed to the app. */
  delivered = false;

  constructor(readonly request: SipMessage) {}

  get responses(): readonly SipMessage[] {
    return this.#responses.items;
  }

  /** True for responses drachtio-server generates itself (100 Trying, 487 after CANCEL, 481, 503…). */
  sentByStack(m: SipMessage): boolean {
    return this.#fromStack.has(m);
  }

  /**
   * The first not yet returned response with `status`; without a status, the next response other
   * than 100 Trying.
   */
  waitForResponse(status?: number, timeoutMs = 5000): Promise<SipMessage> {
    const what = `${status ?? 'a'} response to ${this.request.method} (Call-ID ${this.request.get('call-id') ?? '?'})`;
    return this.#responses.take((m) => (status === undefined ? m.status !== 100 : m.status === status), timeoutMs, what);
  }

  /**
   * When the app's `status` response to this request is sent, the requests `make` builds from it
   * (say the caller's ACK and BYE) reach the app in the same socket read as drachtio's
   * confirmation: the race where srf handles them before the app has its dialog.
   */
  inSameReadAs(status: number, make: (res: SipMessage) => string[]): void {
    this.sameRead = { status, requests: make };
  }

  /** Calls `listener` with every response sent to the network: those sent so far, then each new one. */
  onResponse(listener: (m: SipMessage) => void): void {
    for (const m of this.#responses.items) listener(m);
    this.#listeners.push(listener);
  }

  /** @internal */
  addResponse(m: SipMessage, origin: 'app' | 'stack'): void {
    if (origin === 'stack') this.#fromStack.add(m);
    this.#responses.push(m);
    for (const l of this.#listeners) l(m);
  }

  /** @internal */
  close(reason: Error): void {
    this.#responses.close(reason);
  }
}

/** A request from the network handed to the app, awaiting the app's responses. */
interface ServerTxn {
  readonly id: string;
  readonly request: SipMessage;
  readonly meta: SipMeta;
  readonly conn: AppConnection;
  readonly handle: InjectedRequest;
  /** For an initial INVITE, the dialog it forms; for in-dialog requests, their dialog; else ''. */
  readonly dialogId: string;
  readonly initialInvite: boolean;
  readonly toTag: string;
  finalStatus: number | undefined;
}

/**
 * Requests coming from the SIP network (played by the test) and the app's responses to them,
 * with what drachtio-server's stack does on its own: 100 Trying to INVITE, 503 when no app
 * routes the method, 481 outside any dialog, CANCEL answered 200 with the INVITE ended by 487,
 * ACK to a failure response absorbed.
 */
export class NetworkSide {
  readonly #serverTxns = new Map<string, ServerTxn>();
  readonly #handles = new Set<InjectedRequest>();

  constructor(private readonly ctx: StackContext) {}

  inject(text: string, opts: InjectOptions = {}): InjectedRequest {
    const req = parseSipMessage(text);
    if (!req.isRequest) throw new Error('injectRequest needs a SIP request');
    const src = opts.source ?? { address: '127.0.0.1', port: 5070 };
    const meta: SipMeta = { source: 'network', protocol: opts.protocol ?? 'udp', address: src.address, port: src.port };
    const h = new InjectedRequest(req);
    this.#handles.add(h);
    if (req.method === 'ACK') this.#ack(req, meta, h);
    else if (req.method === 'CANCEL') this.#cancel(req, meta, h);
    else if (req.toTag !== undefined) this.#inDialog(req, meta, h);
    else this.#outsideDialog(req, meta, h);
    return h;
  }

  /** The app answers a request it received (`sip|<txnId>|…` with a status line). */
  appResponse(conn: AppConnection, msgId: string, txnId: string, appMsg: SipMessage): void {
    const txn = this.#serverTxns.get(txnId);
    if (!txn || txn.conn !== conn || txn.finalStatus !== undefined) {
      if (txn) txn.handle.refused.push(appMsg);
      const forCancel = /\bCANCEL\b/i.test(appMsg.get('cseq') ?? '');
      conn.send(apiResponse(msgId, 'NOK', forCancel
        ? '200 OK to incoming CANCEL is automatically generated by the stack'
        : 'Response not sent due to unknown transaction'));
      return;
    }
    const res = this.#complete(txn, appMsg);
    const status = res.status ?? 0;
    if (status >= 200) txn.finalStatus = status;
    if (txn.initialInvite && status >= 200 && status < 300) this.#addUasDialog(txn, res);
    const follow = txn.handle.sameRead?.status === status ? txn.handle.sameRead : undefined;
    if (follow !== undefined) conn.hold();
    conn.send(responseSentResponse(msgId, { ...txn.meta, source: 'application' }, res.toString(), txn.id, txn.dialogId));
    txn.handle.addResponse(res, 'app');
    if (follow !== undefined) {
      txn.handle.sameRead = undefined;
      for (const text of follow.requests(res)) this.inject(text, { source: { address: txn.meta.address, port: txn.meta.port } });
      conn.release();
    }
    // INVITE transactions stay to match a later CANCEL or the ACK of a failure response.
    if (status >= 200 && txn.request.method !== 'INVITE') this.#serverTxns.delete(txn.id);
  }

  /** Drops the records of requests whose transactions are over (long-running tests). */
  forgetFinished(): void {
    for (const [id, txn] of this.#serverTxns) if (txn.finalStatus !== undefined) this.#serverTxns.delete(id);
    // An ACK never gets a response: it is finished as soon as it was delivered.
    for (const h of this.#handles) if (h.request.method === 'ACK' || h.responses.some((r) => (r.status ?? 0) >= 200)) this.#handles.delete(h);
  }

  closeAll(reason: Error): void {
    for (const h of this.#handles) h.close(reason);
    this.#handles.clear();
    this.#serverTxns.clear();
  }

  #outsideDialog(req: SipMessage, meta: SipMeta, h: InjectedRequest): void {
    const method = req.method ?? '';
    const conn = [...this.ctx.connections()].find((c) => c.wants(method));
    if (!conn) {
      this.#stackReply(h, req, 503);
      return;
    }
    const initialInvite = method === 'INVITE';
    const fromTag = req.fromTag;
    const txn = this.#open(req, meta, conn, h, initialInvite && fromTag ? dialogIdFor(req.callId, fromTag) : '', initialInvite);
    if (initialInvite) this.#stackReply(h, req, 100);
    const received = { address: this.ctx.config.sipAddress, port: this.ctx.config.sipPort };
    conn.send(sipMessageToApp(meta, req.toString(), txn.id, '', received));
  }

  #inDialog(req: SipMessage, meta: SipMeta, h: InjectedRequest): void {
    const d = this.ctx.dialogs.matchNetworkRequest(req.callId, req.fromTag, req.toTag);
    if (!d && (req.method === 'UPDATE' || req.method === 'PRACK')) {
      // Inside an early dialog: drachtio hands these to the app that holds the pending INVITE.
      const inv = [...this.#serverTxns.values()].find(
        (t) => t.initialInvite && t.finalStatus === undefined && t.request.callId === req.callId &&
          t.request.fromTag === req.fromTag && t.toTag === req.toTag && !t.conn.closed,
      );
      if (inv) {
        const txn = this.#open(req, meta, inv.conn, h, inv.dialogId, false);
        inv.conn.send(sipMessageToApp(meta, req.toString(), txn.id, inv.dialogId));
        return;
      }
    }
    if (!d || d.conn.closed) {
      this.#stackReply(h, req, 481);
      return;
    }
    const txn = this.#open(req, meta, d.conn, h, d.id, false);
    if (req.method === 'INVITE') {
      this.#stackReply(h, req, 100);
      const contact = req.get('contact');
      if (contact) d.remoteTarget = uriOf(contact);
    }
    d.conn.send(sipMessageToApp(meta, req.toString(), txn.id, d.id));
    // drachtio-server forgets the dialog as soon as a BYE arrives; the 200 still goes by transaction.
    if (req.method === 'BYE') this.ctx.dialogs.delete(d.id);
  }

  #ack(req: SipMessage, meta: SipMeta, h: InjectedRequest): void {
    const seq = req.cseq.seq;
    const failed = [...this.#serverTxns.values()].find(
      (t) => t.request.method === 'INVITE' && t.request.callId === req.callId && t.request.cseq.seq === seq && (t.finalStatus ?? 0) >= 300,
    );
    if (failed) return; // ACK to a failure response ends the INVITE transaction inside the stack
    const d = this.ctx.dialogs.matchNetworkRequest(req.callId, req.fromTag, req.toTag);
    if (!d || d.conn.closed) return;
    h.delivered = true;
    h.transactionId = newId();
    d.conn.send(sipMessageToApp(meta, req.toString(), h.transactionId, d.id));
  }

  #cancel(req: SipMessage, meta: SipMeta, h: InjectedRequest): void {
    const seq = req.cseq.seq;
    const inv = [...this.#serverTxns.values()].find(
      (t) => t.initialInvite && t.request.callId === req.callId && t.request.cseq.seq === seq,
    );
    if (!inv) {
      this.#stackReply(h, req, 481);
      return;
    }
    this.#stackReply(h, req, 200);
    if (inv.finalStatus !== undefined) return;
    // As sofia does: the INVITE is ended with 487 by the stack, and the app is told afterwards.
    inv.finalStatus = 487;
    inv.handle.addResponse(buildResponse(inv.request, 487, { toTag: inv.toTag }), 'stack');
    h.delivered = true;
    h.transactionId = inv.id;
    inv.conn.send(sipMessageToApp(meta, req.toString(), inv.id, inv.dialogId));
  }

  #open(req: SipMessage, meta: SipMeta, conn: AppConnection, h: InjectedRequest, dialogId: string, initialInvite: boolean): ServerTxn {
    const txn: ServerTxn = {
      id: newId(),
      request: req,
      meta,
      conn,
      handle: h,
      dialogId,
      initialInvite,
      toTag: req.toTag ?? randomToken(),
      finalStatus: undefined,
    };
    this.#serverTxns.set(txn.id, txn);
    h.transactionId = txn.id;
    h.delivered = true;
    return txn;
  }

  #stackReply(h: InjectedRequest, req: SipMessage, status: number): void {
    h.addResponse(buildResponse(req, status, { toTag: randomToken() }), 'stack');
  }

  /** Turns srf's bare response (status, Call-ID/CSeq/From/To, app headers) into what goes on the wire. */
  #complete(txn: ServerTxn, appMsg: SipMessage): SipMessage {
    const req = txn.request;
    const status = appMsg.status ?? 500;
    const res = new SipMessage({ status, reason: appMsg.reason || REASONS[status] || 'Unknown' });
    for (const via of req.getAll('via')) res.add('Via', via);
    const to = appMsg.get('to') ?? req.require('to');
    res
      .add('From', req.require('from'))
      .add('To', status > 100 ? withTag(to, txn.toTag) : to)
      .add('Call-ID', req.callId)
      .add('CSeq', req.require('cseq'));
    for (const [n, v] of appMsg.headers) if (!STACK_HEADERS.has(canonical(n))) res.add(n, v);
    const method = req.method;
    if ((method === 'INVITE' || method === 'SUBSCRIBE') && status > 100 && !res.has('contact')) {
      res.add('Contact', this.ctx.contact);
    }
    // As sofia does (RFC 3261 12.1.1): a dialog-forming answer carries the request's route set
    // back, so a record-routing proxy in front (a load balancer) stays in the dialog's path.
    if ((method === 'INVITE' || method === 'SUBSCRIBE') && status > 100 && status < 300 && !res.has('record-route')) {
      for (const rr of req.getAll('record-route')) res.add('Record-Route', rr);
    }
    if (appMsg.body) {
      if (!res.has('content-type') && appMsg.body.startsWith('v=0')) res.add('Content-Type', 'application/sdp');
      res.body = appMsg.body;
    }
    return res;
  }

  #addUasDialog(txn: ServerTxn, res: SipMessage): void {
    if (this.ctx.dialogs.get(txn.dialogId)) return;
    const req = txn.request;
    const local = res.require('to');
    const remoteContact = req.get('contact');
    this.ctx.dialogs.add({
      id: txn.dialogId,
      callId: req.callId,
      role: 'uas',
      localTag: tagOf(local) ?? txn.toTag,
      remoteTag: req.fromTag,
      local,
      remote: req.require('from'),
      localContact: res.get('contact') ?? this.ctx.contact,
      remoteTarget: remoteContact ? uriOf(remoteContact) : uriOf(req.require('from')),
      localCseq: 0,
      ackCseq: undefined,
      status: res.status ?? 200,
      conn: txn.conn,
      peer: { address: txn.meta.address, port: txn.meta.port },
    });
  }
}
