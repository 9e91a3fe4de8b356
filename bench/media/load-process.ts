/**
 * The load side of the media benchmark: fake phones and fake bridges for every call, in a process
 * of their own so that the engine's CPU is measured without them. Driven by bench/media.ts.
 *
 * Sending is paced by one drift-free 5 ms clock; calls are spread over its four phases so the
 * engine sees packets arrive through the 20 ms period, as real traffic does, not in one burst.
 */
import { performance } from 'node:perf_hooks';
import { PhoneSim, expectedFrames, newWindow } from './phone-sim.js';
import { RoomSim, expectedPackets, newBridgeWindow } from './bridge-sim.js';
import type { FromLoad, LoadWindow, PreparedCall, ToLoad } from './protocol.js';
import type { Scenario } from './protocol.js';
import { CYCLE_FRAMES, MEETING_CYCLE_FRAMES, meetingPhoneCycle, phoneCycle, quietPhoneCycle, silentSpeakerFrame, speakerCycle } from './signals.js';

const SLOT_MS = 5;
const SLOTS = 4;
/** In scenario B, this many of the room's callers talk; the others are near-silent. */
const TALKERS_IN_B = 3;
/** Web speakers in every room; one of them talks at a time. */
const WEB_SPEAKERS = 3;
/** In scenario C each web speaker talks 3 s, then the next one. */
const TURN_FRAMES_IN_C = 3 * CYCLE_FRAMES;

interface LoadCall {
  id: number;
  phone: PhoneSim;
  room: RoomSim;
  started: boolean;
}

const calls = new Map<number, LoadCall>();
const rooms = new Map<string, RoomSim>();
const loudCycle = phoneCycle();
const quietCycle = quietPhoneCycle();
const meetingCycle = meetingPhoneCycle();
const activeSpeaker = speakerCycle();
const silentSpeaker = silentSpeakerFrame();
let ssrcBase = 0x10000;
let markCpu: NodeJS.CpuUsage | undefined;
let markWall = 0;
let forwardedAtMark = 0;

function send(msg: FromLoad): void {
  process.send?.(msg);
}

async function prepare(ids: number[], scenario: Scenario, sharedRoom: string | undefined): Promise<PreparedCall[]> {
  const out: PreparedCall[] = [];
  for (const id of ids) {
    const roomName = scenario === 'B' ? (sharedRoom ?? 'townhall@conference.bench') : `room${id}@conference.bench`;
    let room = rooms.get(roomName);
    if (room === undefined) {
      room = new RoomSim(
        activeSpeaker,
        silentSpeaker,
        { speakers: WEB_SPEAKERS, sendSilence: scenario === 'A', ...(scenario === 'C' ? { turnFrames: TURN_FRAMES_IN_C } : {}) },
        ssrcBase,
      );
      ssrcBase += 16;
      rooms.set(roomName, room);
    }
    let phone: PhoneSim;
    if (scenario === 'C') {
      // Talkers spread over the cycle, so about a fifth of the phones talk at any time.
      phone = await PhoneSim.create(meetingCycle, 0x7000000 + id, (id * 37) % MEETING_CYCLE_FRAMES);
    } else {
      const talking = scenario === 'A' || room.endpoints.length < TALKERS_IN_B;
      phone = await PhoneSim.create(talking ? loudCycle : quietCycle, 0x7000000 + id);
    }
    const endpoint = await room.addEndpoint();
    const r = room;
    phone.farBurstSentMs = () => r.lastBurstSentMs;
    endpoint.nearBurstSentMs = () => phone.lastBurstSentMs;
    calls.set(id, { id, phone, room, started: false });
    out.push({ id, room: roomName, offer: phone.offer(), remote: endpoint.bridge.remoteParameters(), sources: room.sources() });
  }
  return out;
}

/** Drift-free 5 ms pacing: slot k sends for the calls (and rooms) whose id falls in phase k % 4. */
let slot = 0;
let nextMs = 0;
let timer: NodeJS.Timeout | undefined;

function startClock(): void {
  if (timer !== undefined) return;
  nextMs = performance.now();
  const fire = (): void => {
    let now = performance.now();
    if (now - nextMs > 100) nextMs = now; // a stall: start over rather than burst
    while (nextMs <= now + 0.5) {
      runSlot(slot, now);
      slot = (slot + 1) % SLOTS;
      nextMs += SLOT_MS;
      now = performance.now();
    }
    timer = setTimeout(fire, Math.max(0, nextMs - now));
  };
  timer = setTimeout(fire, 0);
}

const roomSlot = new Map<RoomSim, number>();

function runSlot(k: number, now: number): void {
  for (const c of calls.values()) if (c.started && c.id % SLOTS === k) c.phone.sendFrame(now);
  for (const room of rooms.values()) {
    if (!room.endpoints.some((e) => e.bridge.srtpProfile !== undefined)) continue;
    let s = roomSlot.get(room);
    if (s === undefined) {
      s = roomSlot.size % SLOTS;
      roomSlot.set(room, s);
    }
    if (s === k) room.sendSpeakers(now);
  }
}

function measureEnd(): LoadWindow {
  const cpu = process.cpuUsage(markCpu);
  const w: LoadWindow = {
    cpuUs: cpu.user + cpu.system,
    wallMs: performance.now() - markWall,
    toPhonesExpected: 0,
    toPhonesReceived: 0,
    toBridgesExpected: 0,
    toBridgesReceived: 0,
    callerToBridgeMs: [],
    bridgeToCallerMs: [],
    forwarded: 0,
  };
  for (const c of calls.values()) {
    w.toPhonesExpected += expectedFrames(c.phone.window, 160);
    w.toPhonesReceived += c.phone.window.received;
    w.bridgeToCallerMs.push(...c.phone.latencies);
  }
  for (const room of rooms.values()) {
    w.forwarded += room.forwarded;
    for (const ep of room.endpoints) {
      // Only the gateway's own SSRC is counted: one stream per endpoint.
      w.toBridgesExpected += expectedPackets(ep.window);
      w.toBridgesReceived += ep.window.received;
      w.callerToBridgeMs.push(...ep.latencies);
    }
  }
  w.forwarded -= forwardedAtMark;
  return w;
}

process.on('message', (raw: unknown) => {
  const msg = raw as ToLoad;
  switch (msg.t) {
    case 'prepare':
      void prepare(msg.ids, msg.scenario, msg.room).then((prepared) => send({ t: 'prepared', calls: prepared }));
      break;
    case 'answers':
      for (const a of msg.answers) calls.get(a.id)?.phone.setTarget(a.port);
      send({ t: 'answersApplied' });
      break;
    case 'startMedia':
      for (const id of msg.ids) {
        const c = calls.get(id);
        if (c !== undefined) c.started = true;
      }
      startClock();
      send({ t: 'mediaStarted' });
      break;
    case 'measureStart':
      for (const c of calls.values()) {
        c.phone.window = newWindow();
        c.phone.latencies.length = 0;
      }
      forwardedAtMark = 0;
      for (const room of rooms.values()) {
        forwardedAtMark += room.forwarded;
        for (const ep of room.endpoints) {
          ep.window = newBridgeWindow();
          ep.latencies.length = 0;
        }
      }
      markCpu = process.cpuUsage();
      markWall = performance.now();
      send({ t: 'measureStarted' });
      break;
    case 'measureEnd':
      send({ t: 'window', window: measureEnd() });
      break;
    case 'exit':
      // A normal exit, so that --cpu-prof can write its profile.
      process.exit(0);
      break;
    case 'closeAll':
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      void Promise.all([...calls.values()].map((c) => c.phone.close()))
        .then(() => Promise.all([...rooms.values()].map((r) => r.close())))
        .then(() => {
          calls.clear();
          rooms.clear();
          roomSlot.clear();
          send({ t: 'closed' });
        });
      break;
  }
});

send({ t: 'ready' });
