import { describe, expect, it } from 'vitest';
import { KEYPAD_WINDOW_MS, KeypadCommands } from '../../../src/call/keypad.js';

function keypad() {
  let now = 0;
  let toggles = 0;
  const k = new KeypadCommands({ toggleMute: () => toggles++ }, () => now);
  return {
    press: (digits: string, source: 'rtp' | 'info' = 'rtp', stepMs = 200) => {
      for (const d of digits) {
        k.press(d, source);
        now += stepMs;
      }
    },
    wait: (ms: number) => (now += ms),
    toggles: () => toggles,
  };
}

describe('KeypadCommands', () => {
  it('toggles mute on *6, each time', () => {
    const k = keypad();
    k.press('*6');
    expect(k.toggles()).toBe(1);
    k.press('*6');
    expect(k.toggles()).toBe(2);
  });

  it('ignores 6 without a star, other commands, and a star too long ago', () => {
    const k = keypad();
    k.press('6');
    k.press('*5');
    k.press('*');
    k.wait(KEYPAD_WINDOW_MS + 1);
    k.press('6');
    k.press('*1');
    k.press('66');
    expect(k.toggles()).toBe(0);
  });

  it('counts a key signalled both in RTP and by INFO once', () => {
    const k = keypad();
    k.press('*', 'rtp', 10);
    k.press('*', 'info', 10);
    k.press('6', 'rtp', 10);
    k.press('6', 'info', 10);
    expect(k.toggles()).toBe(1);
  });
});
