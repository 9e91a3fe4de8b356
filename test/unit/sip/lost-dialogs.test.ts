import { describe, expect, it } from 'vitest';
import { lostDialogOf, splitNameAddrs } from '../../../src/sip/lost-dialogs.js';
import type { SrfDialog, SrfMessage } from '../../../src/sip/srf-types.js';

function message(headers: Record<string, string>): SrfMessage {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { body: '', get: (n) => lower.get(n.toLowerCase()), has: (n) => lower.has(n.toLowerCase()) };
}

function dialog(type: 'uas' | 'uac', req: Record<string, string>, res: Record<string, string> = {}): SrfDialog {
  return {
    type,
    sip: { callId: 'c1@pbx', localTag: 'gw-tag', remoteTag: 'ph-tag' },
    local: { uri: 'sip:gw@10.0.0.1', sdp: undefined, contact: undefined },
    remote: { uri: 'sip:phone@192.0.2.7:5062', sdp: undefined },
    connected: true,
    req: message(req),
    res: message(res),
    on: () => undefined,
    destroy: async () => undefined,
    request: async () => ({ status: 200, reason: 'OK', body: '', get: () => undefined, has: () => false }),
  };
}

describe('lostDialogOf', () => {
  it('rebuilds our side and theirs of a dialog we answered, in the order of its Record-Route', () => {
    const d = dialog('uas', {
      From: '"Bob" <sip:+1555@pbx>;tag=ph-tag',
      To: '<sip:4000@gw>',
      'Record-Route': '<sip:edge.example;lr>, <sip:core.example;lr>',
      CSeq: '7 INVITE',
    });
    expect(lostDialogOf(d, 12, 1000)).toEqual({
      callId: 'c1@pbx',
      requestUri: 'sip:phone@192.0.2.7:5062',
      from: '<sip:4000@gw>;tag=gw-tag',
      to: '"Bob" <sip:+1555@pbx>;tag=ph-tag',
      cseq: 13,
      nextHop: 'sip:edge.example;lr',
      lostAt: 1000,
    });
  });

  it('goes above the INVITE CSeq of a dialog we placed and reverses the route set', () => {
    const d = dialog(
      'uac',
      { From: '<sip:jigasi@gw>;tag=gw-tag', To: '<sip:5550@pbx>', CSeq: '41 INVITE' },
      { To: '<sip:5550@pbx>;tag=ph-tag', 'Record-Route': '<sip:far.example;lr>, <sip:near.example;lr>' },
    );
    expect(lostDialogOf(d, undefined)).toMatchObject({
      from: '<sip:jigasi@gw>;tag=gw-tag',
      to: '<sip:5550@pbx>;tag=ph-tag',
      cseq: 42,
      nextHop: 'sip:near.example;lr',
    });
  });

  it('sends straight to the far end when the first route is a strict router', () => {
    const d = dialog('uas', { From: '<sip:a@b>;tag=x', To: '<sip:c@d>', 'Record-Route': '<sip:old.example>' });
    expect(lostDialogOf(d, undefined)?.nextHop).toBeUndefined();
  });

  it('gives nothing to rebuild when the INVITE lacks its From', () => {
    expect(lostDialogOf(dialog('uas', { To: '<sip:c@d>' }), undefined)).toBeUndefined();
  });
});

describe('splitNameAddrs', () => {
  it('keeps commas inside angle brackets and quotes', () => {
    expect(splitNameAddrs('"Doe, J" <sip:a@b;x=1,2>, <sip:c@d;lr>')).toEqual(['"Doe, J" <sip:a@b;x=1,2>', '<sip:c@d;lr>']);
    expect(splitNameAddrs(undefined)).toEqual([]);
  });
});
