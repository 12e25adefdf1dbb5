import { describe, expect, it } from 'vitest';
import { drawSettings, settingsGrid, settingsKey } from '../src/trainer/paramGrid.ts';

describe('parameter grid', () => {
  it('spans temperature ±0.2, top_p ±0.05 and 75%/100% max tokens around the defaults', () => {
    const grid = settingsGrid({ temperature: 0.8, topP: 0.9, maxTokens: 600 });
    expect(grid).toHaveLength(18);
    expect(new Set(grid.map((s) => s.temperature))).toEqual(new Set([0.6, 0.8, 1]));
    expect(new Set(grid.map((s) => s.topP))).toEqual(new Set([0.85, 0.9, 0.95]));
    expect(new Set(grid.map((s) => s.maxTokens))).toEqual(new Set([450, 600]));
    expect(new Set(grid.map(settingsKey)).size).toBe(18);
  });

  it('clamps at the edges and drops duplicate points', () => {
    const grid = settingsGrid({ temperature: 0.1, topP: 1, maxTokens: 600 });
    expect(Math.min(...grid.map((s) => s.temperature))).toBe(0);
    expect(Math.max(...grid.map((s) => s.topP))).toBe(1);
    expect(new Set(grid.map((s) => s.topP))).toEqual(new Set([0.95, 1]));
    expect(grid).toHaveLength(3 * 2 * 2);
  });

  it('draws every point for some random value, and only grid points', () => {
    const defaults = { temperature: 0.9, topP: 0.95, maxTokens: 600 };
    const grid = settingsGrid(defaults).map(settingsKey);
    const seen = new Set<string>();
    for (let i = 0; i < grid.length; i++) seen.add(settingsKey(drawSettings(defaults, () => (i + 0.5) / grid.length)));
    expect([...seen].sort()).toEqual([...grid].sort());
  });
});
