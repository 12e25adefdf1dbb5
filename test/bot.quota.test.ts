/** /autotrain keeps to the per-user daily example budget, and says so privately. */
import { afterEach, describe, expect, it } from 'vitest';
import { slashCommand } from './discord/payloads.ts';
import { expectQuiet, startBotHarness, type BotHarness } from './helpers/botHarness.ts';

let h: BotHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('/autotrain daily budget', () => {
  it('refuses more examples than the user has left today, privately, and opens the panel within it', async () => {
    h = await startBotHarness({ teachers: true, env: { DAILY_EXAMPLES_PER_USER: '5' } });
    const tooMany = h.sim.sendInteraction(slashCommand({ name: 'autotrain', subcommand: 'start', options: { examples: 6 } }));
    const refusal = await tooMany.waitForOriginal();
    expect(refusal.ephemeral).toBe(true);
    expect(refusal.content).toMatch(/You can train 5 more examples in the next 24 hours \(limit 5\)/);
    expect(refusal.embeds).toEqual([]);

    const within = h.sim.sendInteraction(slashCommand({ name: 'autotrain', subcommand: 'start', options: { examples: 5 } }));
    const panel = await within.waitForOriginal();
    expect(panel.ephemeral).toBe(false);
    expect(JSON.stringify(panel.embeds)).toContain('Train your story model');
    expectQuiet(h);
  });
});
