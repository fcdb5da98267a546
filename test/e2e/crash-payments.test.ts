/**
 * Crash safety, the product's promise (issue 16; docs/crash-safety.md):
 * payments both ways between the embedded deployment and real LDK while the
 * handlers crash at their crash points (after the lease, after the commit,
 * between the queue send and the outbox delete) and the whole deployment is
 * killed and restarted at random moments; afterwards every payment is final
 * once and as LDK saw it, no HTLC is left, the balances agree with LDK's to
 * the msat, and every payment event reached the webhook receiver. A bounded
 * run; `npm run crash-payments -- <seed> 1000` runs the full thousand.
 * Set CRASH_SEED to replay a printed seed.
 */
import { describe, expect, it } from 'vitest';
import { runCrashPayments } from '../support/crash-payments.js';

const seed = process.env['CRASH_SEED'] === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env['CRASH_SEED']);

describe('payments through crashes and kills of the whole deployment', () => {
  it('ends every payment once, leaves no HTLC, agrees with LDK to the msat and loses no webhook event', async () => {
    console.log(`crash-payments seed ${seed} (replay: CRASH_SEED=${seed})`);
    const report = await runCrashPayments({ seed, payments: 24, kills: 2, leaseCrashes: 1, crashRate: 0.05, label: 'crash-test' });
    console.log(JSON.stringify({ ...report, violations: report.violations.length }));
    expect(report.violations, `seed ${seed}`).toEqual([]);
    // The run exercised what it claims to: payments both ways, kills, every crash point.
    expect(report.sent.succeeded).toBeGreaterThan(0);
    expect(report.received.paid).toBeGreaterThan(0);
    expect(report.kills).toBe(2);
    expect(report.crashes.afterLease).toBe(1);
    expect(report.crashes.afterCommit + report.crashes.afterSend).toBeGreaterThan(0);
  }, 600_000);
});
