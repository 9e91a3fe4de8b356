import { describe, expect, it } from 'vitest';
import { isSdesSavpOffer, offerForFreeswitch } from '../../../../src/media/freeswitch/sdes-offer.js';

const sdp = (proto: string, extra: string[]) =>
  ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio 4000 ${proto} 0 101`, 'a=rtpmap:0 PCMU/8000', ...extra, ''].join('\r\n');
const CRYPTO = 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz';

describe('SDES offers handed to FreeSWITCH through drachtio-fsmrf', () => {
  it("writes RTP/SAVP(F) so that fsmrf's DTLS test (case-sensitive /SAVP/) lets it through, keys untouched", () => {
    for (const [proto, written] of [
      ['RTP/SAVP', 'RTP/savp'],
      ['RTP/SAVPF', 'RTP/savpf'],
    ] as const) {
      const out = offerForFreeswitch(sdp(proto, [CRYPTO]));
      expect(out).toContain(`m=audio 4000 ${written} 0 101\r\n`);
      expect(/m=audio.*SAVP/.test(out)).toBe(false);
      expect(out).toContain(CRYPTO);
    }
  });

  it('leaves plain, best-effort and DTLS offers as they are', () => {
    for (const offer of [sdp('RTP/AVP', []), sdp('RTP/AVP', [CRYPTO]), sdp('UDP/TLS/RTP/SAVPF', ['a=fingerprint:sha-256 AA:BB']), sdp('RTP/SAVP', ['a=fingerprint:sha-256 AA:BB', CRYPTO])]) {
      expect(isSdesSavpOffer(offer)).toBe(false);
      expect(offerForFreeswitch(offer)).toBe(offer);
    }
  });
});
