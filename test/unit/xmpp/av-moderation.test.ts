import { describe, expect, it } from 'vitest';
import { xml } from '../../../src/xmpp/connection.js';
import { parseAvModeration } from '../../../src/xmpp/conference/av-moderation.js';

const COMPONENT = 'avmoderation.meet.jitsi';

function message(body: string, from = COMPONENT): ReturnType<typeof xml> {
  return xml('message', { from, to: 'abc@meet.jitsi/x' }, xml('json-message', { xmlns: 'http://jitsi.org/jitmeet' }, body));
}

describe('parseAvModeration', () => {
  it('reads audio moderation switched on and off', () => {
    expect(parseAvModeration(message('{"type":"av_moderation","enabled":true,"mediaType":"audio","actor":"x@meet.jitsi"}'), COMPONENT)).toEqual({ kind: 'enabled', enabled: true });
    expect(parseAvModeration(message('{"type":"av_moderation","enabled":false,"mediaType":"audio"}'), COMPONENT)).toEqual({ kind: 'enabled', enabled: false });
  });

  it('reads an approval and its withdrawal', () => {
    expect(parseAvModeration(message('{"type":"av_moderation","room":"r@muc.meet.jitsi","approved":true,"mediaType":"audio"}'), COMPONENT)).toEqual({ kind: 'approved', approved: true });
    expect(parseAvModeration(message('{"type":"av_moderation","approved":false,"mediaType":"audio"}'), COMPONENT)).toEqual({ kind: 'approved', approved: false });
  });

  it('believes only the component, and only about audio', () => {
    const body = '{"type":"av_moderation","enabled":true,"mediaType":"audio"}';
    expect(parseAvModeration(message(body, 'mallory@meet.jitsi/res'), COMPONENT)).toBeUndefined();
    expect(parseAvModeration(message('{"type":"av_moderation","enabled":true,"mediaType":"video"}'), COMPONENT)).toBeUndefined();
    expect(parseAvModeration(message('{"type":"something-else","enabled":true}'), COMPONENT)).toBeUndefined();
    expect(parseAvModeration(message('not json'), COMPONENT)).toBeUndefined();
    expect(parseAvModeration(message('{"type":"av_moderation","mediaType":"audio"}'), COMPONENT)).toBeUndefined();
    expect(parseAvModeration(xml('presence', { from: COMPONENT }), COMPONENT)).toBeUndefined();
  });
});
