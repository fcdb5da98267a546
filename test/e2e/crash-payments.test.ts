/**
 * Crash safety, the product's promise (issue 16; docs/crash-safety.md):
 * payments both ways between the embedded deployment and real LDK while the
 * handlers crash at their crash points (after the lease, after the commit,
 * between the queue send and the outbox delete); afterwards every payment is final once and as LDK saw it, no HTLC is left, the
 * balances agree with LDK's to the msat, and every payment event reached the
 * webhook receiver; and the same through kills of the whole deployment
 * (queues lost, connections dropped). Bounded runs; CRASH_SEED replays a
 * printed seed in the first. Longer runs: `npm run crash-payments -- <seed>
 * <payments> <kills>`.
 */
import { describe, expect, it } from 'vitest';
import { runCrashPayments, type CrashPaymentsOptions, type CrashPaymentsReport } from '../support/crash-payments.js';

const randomSeed = () => (process.env['CRASH_SEED'] === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env['CRASH_SEED']));

async function run(options: CrashPaymentsOptions): Promise<CrashPaymentsReport> {
  console.log(`crash-payments seed ${options.seed} (replay: CRASH_SEED=${options.seed})`);
  const report = await runCrashPayments(options);
  console.log(JSON.stringify(report));
  return report;
}

describe('payments through crashes of the handlers', () => {
  it('ends every payment once, leaves no HTLC, agrees with LDK to the msat and loses no webhook event', async () => {
    const seed = randomSeed();
    const report = await run({ seed, payments: 16, kills: 0, leaseCrashes: 1, crashRate: 0.08, label: 'crash-handlers' });
    expect(report.violations, `seed ${seed}`).toEqual([]);
    // The run exercised what it claims to: payments both ways, every crash point.
    expect(report.sent.succeeded).toBeGreaterThan(0);
    expect(report.received.paid).toBeGreaterThan(0);
    expect(report.crashes.afterLease).toBe(1);
    expect(report.crashes.afterCommit + report.crashes.afterSend).toBeGreaterThan(0);
  }, 600_000);

  it('holds through kills of the whole deployment: a claim whose follow-up the lost queue held is sent again (seed 11, which found it)', async () => {
    const report = await run({ seed: 11, payments: 24, kills: 2, leaseCrashes: 1, label: 'crash-kills' });
    expect(report.violations, 'seed 11').toEqual([]);
    expect(report.kills).toBe(2);
    expect(report.sent.succeeded).toBeGreaterThan(0);
    expect(report.received.paid).toBeGreaterThan(0);
  }, 600_000);
});
