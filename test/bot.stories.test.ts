/**
 * /stories, /leaderboard and /help end to end: the real discord.js client (createBot) against the
 * loopback Discord, over an in-memory store. Paging, view, the edit modal, share, delete, export,
 * autocomplete, and privacy between two users.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { customId } from '../src/discord/customId.ts';
import { encodeListState } from '../src/discord/embeds/story.ts';
import type { Story, ZegaStore } from '../src/storage/index.ts';
import type { Genre } from '../src/trainer/genres.ts';
import { autocomplete, selectMenu, slashCommand } from './discord/payloads.ts';
import type { SimMessage } from './discord/types.ts';
import { expectQuiet, startBotHarness, type BotHarness } from './helpers/botHarness.ts';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

/** The bot without teachers (these commands only read and write the store). */
async function setup(options: { attachmentSizeLimit?: number } = {}): Promise<BotHarness> {
  const h = await startBotHarness({ discord: options });
  cleanups.push(() => h.close());
  return h;
}

let clock = Date.UTC(2026, 0, 1);

async function save(store: ZegaStore, userId: string, title: string, opts: { text?: string; genre?: Genre; quality?: number } = {}): Promise<Story> {
  clock += 60_000;
  return store.stories.save({
    userId,
    title,
    genre: opts.genre ?? 'Horror',
    prompt: `A story called ${title}`,
    style: 'plain',
    text: opts.text ?? `${title}: the night was long, and the sea was loud.\n\nIn the morning, the keeper slept.`,
    finalQuality: opts.quality ?? 8.5,
    textQuality: 8,
    confidence: 0.8,
    winner: { teacherId: 'groq-llama-3.3-70b', settings: { temperature: 0.9, topP: 0.9, maxTokens: 600 } },
    runId: 'run-test',
    createdAt: clock,
  });
}

function allText(message: SimMessage): string {
  return JSON.stringify({ content: message.content, embeds: message.embeds });
}

describe('/stories end to end', () => {
  it('lists privately 5 a page and pages with the buttons; another user cannot press them', async () => {
    const h = await setup();
    const { sim, store, alice, bob } = h;
    for (let i = 1; i <= 7; i++) await save(store, alice, `Alice story ${i}`);
    await save(store, bob, 'Bob secret');

    const list = sim.sendInteraction(slashCommand({ name: 'stories', subcommand: 'list' }));
    const page1 = await list.waitForOriginal();
    expect(page1.ephemeral).toBe(true);
    const embed = page1.embeds[0] as { fields: { name: string }[]; footer: { text: string }; description: string };
    expect(embed.fields.map((f) => f.name)).toEqual([1, 2, 3, 4, 5].map((n, i) => `${n}. Alice story ${7 - i}`));
    expect(embed.footer.text).toMatch(/^Page 1 of 2/);
    expect(embed.description).toMatch(/7 stories · newest first/);
    expect(allText(page1)).not.toContain('Bob secret');

    const next = customId('stories', 'next', alice, encodeListState({ page: 2, sort: 'newest' }));
    const refused = list.click(next, sim.users.bob);
    const refusal = await refused.waitForOriginal();
    expect(refusal.ephemeral).toBe(true);
    expect(refusal.content).toMatch(/Only the person who started this/);
    expect(list.original()?.editCount).toBe(0);

    const turn = list.click(next);
    const page2 = await turn.waitForOriginal((m) => m.editCount > 0);
    expect(page2.id).toBe(page1.id);
    const embed2 = page2.embeds[0] as { fields: { name: string }[]; footer: { text: string } };
    expect(embed2.fields.map((f) => f.name)).toEqual(['6. Alice story 2', '7. Alice story 1']);
    expect(embed2.footer.text).toMatch(/^Page 2 of 2/);

    // Sorted best first within one genre.
    await save(store, alice, 'Best comedy', { genre: 'Comedy', quality: 9.6 });
    await save(store, alice, 'Other comedy', { genre: 'Comedy', quality: 8.1 });
    const best = sim.sendInteraction(slashCommand({ name: 'stories', subcommand: 'list', options: { genre: 'Comedy', sort: 'best' } }));
    const bestPage = await best.waitForOriginal();
    expect((bestPage.embeds[0] as { fields: { name: string }[] }).fields.map((f) => f.name)).toEqual(['1. Best comedy', '2. Other comedy']);

    // Bob's list is his alone.
    const bobList = await sim.sendInteraction(slashCommand({ name: 'stories', subcommand: 'list', user: sim.users.bob })).waitForOriginal();
    expect(allText(bobList)).toContain('Bob secret');
    expect(allText(bobList)).not.toContain('Alice story');
    expect(bob).not.toBe(alice);
    expectQuiet(h);
  });

  it('opens a story from the list, views by id and by autocomplete, and never shows another user’s story', async () => {
    const h = await setup();
    const { sim, store, alice } = h;
    const lighthouse = await save(store, alice, 'The Lighthouse Keeper');
    await save(store, alice, 'Café at Midnight', { genre: 'Romance' });
    const secret = await save(store, sim.users.bob.id, 'Bob Lighthouse Secret');

    const ac = sim.sendInteraction(autocomplete({ name: 'stories', subcommand: 'view', options: { story: 'lighthouse' }, focused: 'story' }));
    await ac.waitForResponse();
    expect(ac.autocompleteChoices()).toEqual([{ name: 'The Lighthouse Keeper · Horror · 8.50', value: lighthouse.id }]);
    const acBob = sim.sendInteraction(autocomplete({ name: 'stories', subcommand: 'view', options: { story: '' }, focused: 'story', user: sim.users.bob }));
    await acBob.waitForResponse();
    expect(acBob.autocompleteChoices()?.map((c) => c.value)).toEqual([secret.id]);

    const list = sim.sendInteraction(slashCommand({ name: 'stories', subcommand: 'list' }));
    await list.waitForOriginal();
    const open = list.select(customId('stories', 'open', alice), [lighthouse.id]);
    const shown = await open.waitForOriginal();
    expect(shown.ephemeral).toBe(true);
    expect((shown.embeds[0] as { title: string }).title).toBe('The Lighthouse Keeper');
    expect(allText(shown)).toContain('the keeper slept');

    const view = await sim.sendInteraction(slashCommand({ name: 'stories', subcommand: 'view', options: { story: lighthouse.id } })).waitForOriginal();
    expect(view.ephemeral).toBe(true);
    expect(allText(view)).toContain('The Lighthouse Keeper');
    // A typed exact title works too.
    const byTitle = await sim.sendInteraction(slashCommand({ name: 'stories', subcommand: 'view', options: { story: 'café at midnight' } })).waitForOriginal();
    expect(allText(byTitle)).toContain('Café at Midnight');

    for (const sub of ['view', 'edit', 'share', 'delete']) {
      const foreign = await sim.sendInteraction(slashCommand({ name: 'stories', subcommand: sub, options: { story: secret.id } })).waitForOriginal();
      expect(foreign.ephemeral).toBe(true);
      expect(foreign.content).toMatch(/can't find that story in your library/);
      expect(allText(foreign)).not.toContain('Bob Lighthouse Secret');
    }
    // A forged select value naming Bob's story finds nothing either.
    const forged = await sim.sendInteraction(selectMenu({ customId: customId('stories', 'open', alice), values: [secret.id] })).waitForOriginal();
    expect(forged.ephemeral).toBe(true);
    expect(forged.content).toMatch(/can't find that story in your library/);
    expect(allText(forged)).not.toContain('Bob Lighthouse Secret');
    expectQuiet(h);
  });

  it('attaches a long story as Markdown', async () => {
    const h = await setup();
    const { sim, store } = h;
    const paragraph = 'The tide rose over the causeway while the village slept and the bells rang under the water. ';
    const long = await save(store, sim.users.alice.id, 'The Drowned Bells', { text: paragraph.repeat(120) });
    const view = await sim.sendInteraction(slashCommand({ name: 'stories', subcommand: 'view', options: { story: long.id } })).waitForOriginal();
    expect(view.ephemeral).toBe(true);
    expect(view.attachments).toHaveLength(1);
    expect(view.attachments[0]?.filename).toBe(`story-${long.id}.md`);
    expect(view.attachments[0]?.data.toString()).toContain('# The Drowned Bells');
    expect(allText(view)).toMatch(/attached as a Markdown file/);
    expectQuiet(h);
  });

  it('edits title and text through the modal; empty fields change nothing; a story too long for the form is refused', async () => {
    const h = await setup();
    const { sim, store, alice } = h;
    const story = await save(store, alice, 'Old Title', { text: 'Old text.' });

    const edit = sim.sendInteraction(slashCommand({ name: 'stories', subcommand: 'edit', options: { story: story.id } }));
    expect((await edit.waitForResponse()).type).toBe(9);
    expect(edit.modal()?.custom_id).toBe(customId('stories', 'save-edit', alice, story.id));
    expect(JSON.stringify(edit.modal())).toContain('Old text.');

    const blank = edit.submitModal({ title: '   ', text: 'My careful rewrite.' });
    const blankReply = await blank.waitForOriginal();
    expect(blankReply.ephemeral).toBe(true);
    expect(blankReply.content).toMatch(/title is empty, so I changed nothing/);
    expect(blankReply.attachments[0]?.data.toString()).toContain('My careful rewrite.');
    expect((await store.stories.get(alice, story.id))?.title).toBe('Old Title');

    const saved = edit.submitModal({ title: 'New Title', text: 'New text, much better.' });
    expect((await saved.waitForOriginal()).content).toMatch(/Saved the new title and text of \*\*New Title\*\*/);
    const updated = await store.stories.get(alice, story.id);
    expect(updated).toMatchObject({ title: 'New Title', text: 'New text, much better.', edited: true });

    // Bob submitting a form for Alice's story is refused by the router, and nothing changes.
    const bobSubmit = edit.submitModal({ title: 'Hacked', text: 'Hacked' }, sim.users.bob);
    expect((await bobSubmit.waitForOriginal()).content).toMatch(/Only the person who started this/);
    expect((await store.stories.get(alice, story.id))?.title).toBe('New Title');

    const huge = await save(store, alice, 'Epic', { text: 'word '.repeat(1000) });
    const refused = await sim.sendInteraction(slashCommand({ name: 'stories', subcommand: 'edit', options: { story: huge.id } })).waitForOriginal();
    expect(refused.ephemeral).toBe(true);
    expect(refused.content).toMatch(/at most 4,000.*won't cut your story/s);

    // The Edit button under a viewed story opens the same form.
    const view = sim.sendInteraction(slashCommand({ name: 'stories', subcommand: 'view', options: { story: story.id } }));
    await view.waitForOriginal();
    const press = view.click(customId('stories', 'edit', alice, story.id));
    expect((await press.waitForResponse()).type).toBe(9);
    expectQuiet(h);
  });

  it('shares publicly with the author credited and pings nobody', async () => {
    const h = await setup();
    const { sim, store, alice } = h;
    const story = await save(store, alice, 'Loud Story', { text: 'Hey @everyone and <@123456789012345678>, listen to this tale.' });
    const share = await sim.sendInteraction(slashCommand({ name: 'stories', subcommand: 'share', options: { story: story.id } })).waitForOriginal();
    expect(share.ephemeral).toBe(false);
    expect(share.allowedMentions).toEqual({ parse: [] });
    expect(allText(share)).toContain(`<@${alice}>`);
    expect(allText(share)).toMatch(/Shared by/);
    expect(allText(share)).not.toMatch(/@everyone/);
    expectQuiet(h);
  });

  it('deletes only after confirmation; Keep keeps; another user cannot confirm', async () => {
    const h = await setup();
    const { sim, store, alice } = h;
    const story = await save(store, alice, 'Doomed');
    const yes = customId('stories', 'del-yes', alice, story.id);
    const no = customId('stories', 'del-no', alice, story.id);

    const ask = sim.sendInteraction(slashCommand({ name: 'stories', subcommand: 'delete', options: { story: story.id } }));
    const question = await ask.waitForOriginal();
    expect(question.ephemeral).toBe(true);
    expect(question.content).toMatch(/Delete \*\*Doomed\*\*/);

    const keep = ask.click(no);
    expect((await keep.waitForOriginal((m) => m.editCount > 0)).content).toMatch(/^Kept/);
    expect(await store.stories.get(alice, story.id)).toBeDefined();

    const again = sim.sendInteraction(slashCommand({ name: 'stories', subcommand: 'delete', options: { story: story.id } }));
    await again.waitForOriginal();
    const bobPress = again.click(yes, sim.users.bob);
    expect((await bobPress.waitForOriginal()).content).toMatch(/Only the person who started this/);
    expect(await store.stories.get(alice, story.id)).toBeDefined();

    const confirm = again.click(yes);
    const done = await confirm.waitForOriginal((m) => m.editCount > 0);
    expect(done.content).toMatch(/^Deleted/);
    expect(done.components).toEqual([]);
    expect(await store.stories.get(alice, story.id)).toBeUndefined();
    expect(await store.stories.count(alice)).toBe(0);
    expectQuiet(h);
  });

  it('exports the library privately, says so when empty or too big', async () => {
    const h = await setup({ attachmentSizeLimit: 4096 });
    const { sim, store, alice } = h;
    const empty = await sim.sendInteraction(slashCommand({ name: 'stories', subcommand: 'export' })).waitForOriginal();
    expect(empty.ephemeral).toBe(true);
    expect(empty.content).toMatch(/library is empty/);

    await save(store, alice, 'One');
    await save(store, alice, 'Two');
    const md = await sim.sendInteraction(slashCommand({ name: 'stories', subcommand: 'export' })).waitForOriginal();
    expect(md.ephemeral).toBe(true);
    expect(md.attachments[0]?.filename).toMatch(/^zega-stories-\d{4}-\d{2}-\d{2}\.md$/);
    expect(md.attachments[0]?.data.toString()).toContain('## Two');
    const jsonl = await sim.sendInteraction(slashCommand({ name: 'stories', subcommand: 'export', options: { format: 'jsonl' } })).waitForOriginal();
    const lines = jsonl.attachments[0]?.data.toString().trim().split('\n') ?? [];
    expect(lines.map((l) => (JSON.parse(l) as { title: string }).title)).toEqual(['Two', 'One']);

    for (let i = 0; i < 10; i++) await save(store, alice, `Filler ${i}`, { text: 'x '.repeat(400) });
    const big = await sim.sendInteraction(slashCommand({ name: 'stories', subcommand: 'export' })).waitForOriginal();
    expect(big.content).toMatch(/larger than the 4 KiB Discord lets me attach.*stories export --user/s);
    expect(big.attachments).toEqual([]);
    expectQuiet(h);
  });
});

describe('/leaderboard and /help end to end', () => {
  it('shows the board publicly, "me" privately, and explains server outside a server', async () => {
    const h = await setup();
    const { sim, store, alice } = h;
    const settings = { temperature: 0.9, topP: 0.9, maxTokens: 600 };
    await store.stats.recordExample({
      userId: alice,
      guildId: sim.guild.id,
      genre: 'Horror',
      status: 'ok',
      outcomes: [
        { teacherId: 'groq-llama-3.3-70b', ok: true, latencyMs: 500, settings },
        { teacherId: 'gemini-2.5-flash', ok: true, latencyMs: 400, settings },
      ],
      winner: { teacherId: 'groq-llama-3.3-70b', finalQuality: 8.8, settings },
    });
    const board = await sim.sendInteraction(slashCommand({ name: 'leaderboard' })).waitForOriginal();
    expect(board.ephemeral).toBe(false);
    expect(allText(board)).toMatch(/groq-llama-3\.3-70b.*1 win · 100% win rate · avg 8\.80/);
    expect(allText(board)).toMatch(/Top trainers/);
    expect(allText(board)).toContain(`<@${alice}>`);

    const mine = await sim.sendInteraction(slashCommand({ name: 'leaderboard', options: { scope: 'me' }, user: sim.users.bob })).waitForOriginal();
    expect(mine.ephemeral).toBe(true);
    expect(allText(mine)).toMatch(/No results yet/);

    const dm = await sim.sendInteraction(slashCommand({ name: 'leaderboard', options: { scope: 'server' }, guildId: null })).waitForOriginal();
    expect(dm.content).toMatch(/only inside a server/);
    expect(allText(dm)).toMatch(/Global/);
    expectQuiet(h);
  });

  it('/help is private and lists commands and the user figures', async () => {
    const h = await setup();
    const { sim, store, alice } = h;
    await save(store, alice, 'One');
    const help = await sim.sendInteraction(slashCommand({ name: 'help' })).waitForOriginal();
    expect(help.ephemeral).toBe(true);
    const text = allText(help);
    for (const name of ['/autotrain start', '/autotrain status', '/stories list', '/stories export', '/leaderboard']) expect(text).toContain(name);
    expect(text).toMatch(/1 saved story/);
    expect(text).toMatch(/0 fine-tuning examples · 50 examples until the next fine-tune/);
    expect(text).toMatch(/Teachers on this bot \(0\)/);
    expectQuiet(h);
  });
});
