import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConferenceMapperClient, ConferenceMapperError } from '../../../src/sip/pin/conference-mapper.js';
import { runPinPrompt, type CallerInteraction, type PromptName } from '../../../src/sip/pin/pin-prompt.js';

describe('ConferenceMapperClient against an HTTP server on loopback', () => {
  let server: Server;
  let url: string;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      seen.push(u.search);
      const id = u.searchParams.get('id');
      res.setHeader('content-type', 'application/json');
      if (id === '123456') res.end(JSON.stringify({ id: 123456, conference: 'standup@muc.meet.jitsi' }));
      else if (id === '500') {
        res.statusCode = 500;
        res.end('{}');
      } else if (id === '777') res.end('not json');
      else res.end(JSON.stringify({ id: Number(id), conference: false }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/conferenceMapper`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('maps a known PIN to its room and an unknown one to nothing', async () => {
    const c = new ConferenceMapperClient(url);
    expect(await c.roomForPin('123456')).toBe('standup@muc.meet.jitsi');
    expect(await c.roomForPin('999')).toBeUndefined();
    expect(seen).toContain('?id=123456');
  });

  it('never sends something that is not a PIN', async () => {
    const before = seen.length;
    expect(await new ConferenceMapperClient(url).roomForPin('12&x=1')).toBeUndefined();
    expect(seen.length).toBe(before);
  });

  it('reports mapper failures as upstream errors', async () => {
    const c = new ConferenceMapperClient(url);
    await expect(c.roomForPin('500')).rejects.toBeInstanceOf(ConferenceMapperError);
    await expect(c.roomForPin('777')).rejects.toThrow(/not JSON/);
    await expect(new ConferenceMapperClient('http://127.0.0.1:1/x', 500).roomForPin('1')).rejects.toThrow(/unreachable/);
  });
});

function scriptedCaller(inputs: string[]): CallerInteraction & { played: PromptName[] } {
  const played: PromptName[] = [];
  return {
    played,
    play: async (p) => {
      played.push(p);
    },
    playAndCollect: async (p) => {
      played.push(p);
      return inputs.shift() ?? '';
    },
  };
}

describe('runPinPrompt', () => {
  const lookup = { roomForPin: async (pin: string) => (pin === '4242' ? 'r@muc.meet.jitsi' : undefined) };

  it('finds the room on the first good PIN', async () => {
    const io = scriptedCaller(['4242#']);
    expect(await runPinPrompt(io, lookup)).toEqual({ kind: 'room', roomJid: 'r@muc.meet.jitsi', pin: '4242' });
    expect(io.played).toEqual(['enter-pin']);
  });

  it('allows three tries, then says goodbye', async () => {
    const io = scriptedCaller(['1111#', '', '2222']);
    expect(await runPinPrompt(io, lookup)).toEqual({ kind: 'failed', reason: 'wrong-pin' });
    expect(io.played).toEqual(['enter-pin', 'wrong-pin', 'wrong-pin', 'goodbye']);
    const late = scriptedCaller(['1', '2', '4242#']);
    expect(await runPinPrompt(late, lookup)).toMatchObject({ kind: 'room' });
  });

  it('reports silence as no-input and a broken mapper as lookup-error', async () => {
    expect(await runPinPrompt(scriptedCaller([]), lookup)).toEqual({ kind: 'failed', reason: 'no-input' });
    const io = scriptedCaller(['1#']);
    const broken = { roomForPin: async () => Promise.reject(new Error('down')) };
    expect(await runPinPrompt(io, broken)).toEqual({ kind: 'failed', reason: 'lookup-error' });
    expect(io.played).toEqual(['enter-pin', 'error']);
  });

  it('stops at once when the caller hangs up', async () => {
    let cancelled = false;
    const io = scriptedCaller(['1#', '2#']);
    const slow = { roomForPin: async () => { cancelled = true; return undefined; } };
    expect(await runPinPrompt(io, slow, undefined, () => cancelled)).toMatchObject({ kind: 'failed' });
    expect(io.played).toEqual(['enter-pin']);
  });
});
