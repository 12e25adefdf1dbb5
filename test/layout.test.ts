/**
 * The layout's rules, read from the sources' import statements: nothing in src/ imports from
 * test/; the CLI never loads discord.js (nor the Discord views, commands or bot); the trainer is a
 * library without Discord or terminal; src/bot and src/commands do not import each other both ways.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(new URL('..', import.meta.url).pathname);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Specifiers a file imports (static, side-effect and dynamic), type-only ones included. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2] ?? m[3]) as string);
}

/** Repo-relative path of a relative specifier, or the package name of a bare one. */
function target(from: string, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier.startsWith('node:') ? specifier : specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
  return relative(root, resolve(dirname(from), specifier));
}

const files = sourceFiles(join(root, 'src'));
const graph = new Map(files.map((f) => [relative(root, f), importsOf(f).map((s) => target(f, s))]));

/** Every module reachable from `start` (repo paths and package names). */
function reachable(start: string): Set<string> {
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    for (const dep of graph.get(next) ?? []) stack.push(dep);
  }
  return seen;
}

const inFolder = (folder: string) => (path: string) => path.startsWith(`${folder}/`);

describe('layout', () => {
  it('the import reader sees the imports (sanity)', () => {
    expect(graph.get('src/cli/index.ts')).toContain('src/cli/train.ts');
    expect(graph.get('src/bot/client.ts')).toContain('discord.js');
  });

  it('nothing under src/ imports from test/', () => {
    const offenders = [...graph].filter(([, deps]) => deps.some(inFolder('test'))).map(([file]) => file);
    expect(offenders).toEqual([]);
  });

  it('the CLI loads neither discord.js nor the Discord views, commands or bot', () => {
    const loaded = [...reachable('src/cli/index.ts')];
    const discord = loaded.filter((m) => m === 'discord.js' || m.startsWith('@discordjs') || inFolder('src/discord')(m) || inFolder('src/commands')(m) || inFolder('src/bot')(m));
    expect(discord).toEqual([]);
  });

  it('the trainer is a library: no Discord, no terminal, no front end', () => {
    const offenders = [...graph]
      .filter(([file]) => inFolder('src/trainer')(file))
      .flatMap(([file, deps]) => deps.filter((d) => d === 'discord.js' || d.startsWith('@discordjs') || ['src/discord', 'src/bot', 'src/commands', 'src/cli'].some((f) => inFolder(f)(d))).map((d) => `${file} → ${d}`));
    expect(offenders).toEqual([]);
  });

  it('src/commands does not import src/bot (src/bot wires the commands, not the other way round)', () => {
    const offenders = [...graph]
      .filter(([file]) => inFolder('src/commands')(file))
      .flatMap(([file, deps]) => deps.filter((d) => inFolder('src/bot')(d)).map((d) => `${file} → ${d}`));
    expect(offenders).toEqual([]);
  });

  it('src/runs (queues, resume, budgets) knows nothing of Discord, the commands or the bot', () => {
    const offenders = [...graph]
      .filter(([file]) => inFolder('src/runs')(file))
      .flatMap(([file, deps]) => deps.filter((d) => d === 'discord.js' || d.startsWith('@discordjs') || ['src/discord', 'src/bot', 'src/commands'].some((f) => inFolder(f)(d))).map((d) => `${file} → ${d}`));
    expect(offenders).toEqual([]);
  });
});
