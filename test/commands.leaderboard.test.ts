/** Pure helpers of /leaderboard and /help: scopes, rows, the guide. */
import { describe, expect, it } from 'vitest';
import { boardTitle, leaderboard, resolveScope, toModelRows, toTrainerRows } from '../src/commands/leaderboard.ts';
import { COMMAND_GUIDE, help, helpEmbed } from '../src/commands/help.ts';
import { leaderboardEmbed } from '../src/discord/embeds/leaderboard.ts';
import { limitViolations } from '../src/discord/limits.ts';

const where = { userId: '111111111111111111', guildId: '222222222222222222', guildName: 'Writers' };

describe('resolveScope', () => {
  it('maps global, server and me to the store scopes', () => {
    expect(resolveScope('global', where)).toMatchObject({ scope: 'global', query: { scope: 'global' } });
    expect(resolveScope('server', where)).toMatchObject({ scope: 'server', query: { scope: 'guild', id: where.guildId }, label: 'This server: Writers' });
    expect(resolveScope('me', where)).toMatchObject({ scope: 'me', query: { scope: 'user', id: where.userId } });
    expect(resolveScope('global', where).note).toBeUndefined();
  });

  it('falls back to global outside a server, and says so', () => {
    const r = resolveScope('server', { userId: where.userId, guildId: null });
    expect(r).toMatchObject({ scope: 'global', query: { scope: 'global' } });
    expect(r.note).toMatch(/only inside a server/);
  });
});

describe('rows', () => {
  it('carry model, wins, average quality and win rate; trainers their winning examples and stories', () => {
    const rows = toModelRows([
      { rank: 1, teacherId: 'groq-llama-3.3-70b', wins: 6, averageQuality: 8.4, averageStoryQuality: 6.15, calls: 10, failures: 0, failureRate: 0, skipped: 0, averageLatencyMs: 900, winRate: 0.6, stories: 3 },
      { rank: 2, teacherId: 'gemini-2.5-flash', wins: 4, averageQuality: 8.9, calls: 10, failures: 1, failureRate: 0.1, skipped: 5, averageLatencyMs: 700, winRate: 0.4, stories: 2 },
    ]);
    expect(rows).toEqual([
      { model: 'groq-llama-3.3-70b', wins: 6, averageQuality: 8.4, averageStoryQuality: 6.15, winRate: 0.6, skipped: 0 },
      { model: 'gemini-2.5-flash', wins: 4, averageQuality: 8.9, winRate: 0.4, skipped: 5 },
    ]);
    expect(toTrainerRows([{ rank: 1, userId: where.userId, examples: 12, successful: 10, averageQuality: 8, stories: 4, lastAt: 0 }])).toEqual([
      { userId: where.userId, examples: 10, stories: 4 },
    ]);
    const embed = leaderboardEmbed({ title: boardTitle('Horror'), scopeLabel: 'Global', rows, trainers: [] });
    expect(embed.title).toBe('🏆 Leaderboard · Horror');
    expect(embed.description).toMatch(/groq-llama-3\.3-70b.*6 wins · 60% win rate · avg 8\.40 \S+ · story 6\.15/);
    // A board from before the story score shows no story figure for that model.
    expect(embed.description).not.toMatch(/gemini-2\.5-flash.*story/);
    expect(embed.description).toMatch(/gemini-2\.5-flash.*4 wins · 40% win rate · avg 8\.90 \S+ · 5 skipped/);
    expect(limitViolations({ embeds: [embed] })).toEqual([]);
  });

  it('an empty board points at /autotrain start', () => {
    expect(leaderboardEmbed({ title: boardTitle(), scopeLabel: 'Global', rows: [] }).description).toMatch(/\/autotrain start/);
  });
});

describe('/leaderboard definition', () => {
  it('has genre (25 choices) and scope options', () => {
    const options = (leaderboard.data.options ?? []) as { name: string; choices?: { value: string }[] }[];
    expect(options.map((o) => o.name)).toEqual(['genre', 'scope']);
    expect(options[0]?.choices).toHaveLength(25);
    expect(options[1]?.choices?.map((c) => c.value)).toEqual(['global', 'server', 'me']);
  });
});

describe('/help', () => {
  const base = {
    teachers: [
      { id: 'gemini-2.5-flash', provider: 'gemini' },
      { id: 'groq-llama-3.1-8b', provider: 'groq' },
    ],
    disabled: [{ id: 'ollama-llama3.2', provider: 'ollama' }],
    stories: 3,
    fineTune: { total: 57, untilNext: 43, due: false, every: 50 },
    qualityScore: 'seed' as const,
  };

  it('names the score that decides what is saved (QUALITY_SCORE)', () => {
    expect(helpEmbed(base).fields?.[1]?.value).toContain('3 saved stories (kept when a story has final quality ≥ 8.0)');
    expect(helpEmbed({ ...base, qualityScore: 'story' }).fields?.[1]?.value).toContain('3 saved stories (kept when a story has story score ≥ 8.0)');
  });

  it('lists every command, the enabled teachers and the user figures', () => {
    const embed = helpEmbed(base);
    for (const [name] of COMMAND_GUIDE) expect(embed.description).toContain(`\`${name}\``);
    for (const name of ['/autotrain start', '/autotrain status', '/stories list', '/stories view', '/stories edit', '/stories share', '/stories delete', '/stories export', '/leaderboard', '/help']) {
      expect(embed.description).toContain(name);
    }
    const teachers = embed.fields?.[0];
    expect(teachers?.name).toBe('Teachers on this bot (2)');
    expect(teachers?.value).toMatch(/gemini-2\.5-flash.*\(gemini\)/);
    expect(teachers?.value).toMatch(/Not enabled here: ollama-llama3\.2/);
    const mine = embed.fields?.[1]?.value ?? '';
    expect(mine).toMatch(/3 saved stories/);
    expect(mine).toMatch(/57 fine-tuning examples · 43 examples until the next fine-tune \(every 50\)/);
    expect(limitViolations({ embeds: [embed] })).toEqual([]);
  });

  it('handles no teachers, a due fine-tune and a single story', () => {
    const embed = helpEmbed({ ...base, teachers: [], disabled: [], stories: 1, fineTune: { total: 50, untilNext: 0, due: true, every: 50 } });
    expect(embed.fields?.[0]?.value).toMatch(/None is enabled/);
    expect(embed.fields?.[1]?.value).toMatch(/1 saved story \(/);
    expect(embed.fields?.[1]?.value).toMatch(/fine-tune round is due now/);
  });

  it('stays within limits with a huge roster', () => {
    const many = Array.from({ length: 300 }, (_, i) => ({ id: `teacher-${i}-${'x'.repeat(50)}`, provider: 'ollama' }));
    expect(limitViolations({ embeds: [helpEmbed({ ...base, teachers: many, disabled: many })] })).toEqual([]);
  });

  it('is a plain command', () => {
    expect(help.data.name).toBe('help');
    expect(help.data.options ?? []).toEqual([]);
  });
});
