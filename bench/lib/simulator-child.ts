/**
 * The FlexyKey simulator in a process of its own, so a benchmark measures both sides separately (and the
 * simulator's CPU is not the client's). Started with `fork`; talks over IPC:
 *   parent → { type: 'rss' }            child → { type: 'rss', peakRssBytes, cpuMs }
 *   child → { type: 'ready', baseUrl, adminUrl } once listening.
 */
import { type SimulatorSeed, startSimulator } from '../../src/simulator';
import { peakRssBytes } from './stats';

interface StartMessage {
  type: 'start';
  seed: SimulatorSeed;
  statusCacheGuardMs?: number;
  packetSize?: number;
}

process.on('message', async (message: StartMessage | { type: 'rss' }) => {
  if (message.type === 'start') {
    const running = await startSimulator({
      seed: message.seed,
      statusCacheGuardMs: message.statusCacheGuardMs ?? 2_000,
      ...(message.packetSize ? { packetSize: message.packetSize } : {}),
    });
    process.send?.({ type: 'ready', baseUrl: running.baseUrl, adminUrl: running.adminUrl });
    process.once('disconnect', () => {
      void running.close().then(() => process.exit(0));
    });
  } else if (message.type === 'rss') {
    const cpu = process.cpuUsage();
    process.send?.({ type: 'rss', peakRssBytes: peakRssBytes(), cpuMs: (cpu.user + cpu.system) / 1000 });
  }
});
