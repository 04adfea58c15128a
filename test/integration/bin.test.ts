import { spawnSync } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve(__dirname, '../../bin/flexysync.js');

describe('the flexysync executable (package bin, built by npm ci/prepare)', () => {
  it('runs the compiled CLI: --help lists every verb and exits 0', () => {
    const result = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    for (const verb of ['worker', 'enqueue', 'status', 'simulator']) expect(result.stdout).toContain(verb);
  });

  it('an unknown verb is a usage error with a non-zero exit', () => {
    const result = spawnSync(process.execPath, [BIN, 'frobnicate'], { encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/unknown command/);
  });
});
