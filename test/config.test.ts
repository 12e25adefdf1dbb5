import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireSettings } from '../src/config/env.ts';

describe('loadConfig', () => {
  it('applies documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config.OLLAMA_HOST).toBe('http://127.0.0.1:11434');
    expect(config.STORAGE_URL).toBe('sqlite://data/zega.sqlite');
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.TEACHER_TIMEOUT_MS).toBe(60_000);
    expect(config.RUN_CONCURRENCY).toBe(3);
    expect(config.GEMINI_API_KEY).toBeUndefined();
    expect(config.QUALITY_SCORE).toBe('seed');
  });

  it('QUALITY_SCORE is seed or story', () => {
    expect(loadConfig({ QUALITY_SCORE: 'story' }).QUALITY_SCORE).toBe('story');
    expect(() => loadConfig({ QUALITY_SCORE: 'vibes' })).toThrow(/QUALITY_SCORE/);
  });

  it('treats empty values (as in a copied .env.example) as unset', () => {
    const config = loadConfig({ GROQ_API_KEY: '', GROQ_BASE_URL: '  ', OLLAMA_HOST: '' });
    expect(config.GROQ_API_KEY).toBeUndefined();
    expect(config.GROQ_BASE_URL).toBeUndefined();
    expect(config.OLLAMA_HOST).toBe('http://127.0.0.1:11434');
  });

  it('parses numbers and accepts "off" for Ollama', () => {
    const config = loadConfig({ TEACHER_TIMEOUT_MS: '1500', RUN_CONCURRENCY: '8', OLLAMA_HOST: 'off' });
    expect(config.TEACHER_TIMEOUT_MS).toBe(1500);
    expect(config.RUN_CONCURRENCY).toBe(8);
    expect(config.OLLAMA_HOST).toBe('off');
  });

  it('names every invalid variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ GEMINI_BASE_URL: 'not a url', LOG_LEVEL: 'loud', RUN_CONCURRENCY: '0', DISCORD_CLIENT_ID: '12' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/GEMINI_BASE_URL/);
    expect(problems).toMatch(/LOG_LEVEL/);
    expect(problems).toMatch(/RUN_CONCURRENCY/);
    expect(problems).toMatch(/DISCORD_CLIENT_ID .*Copy ID/);
  });

  it('says which required setting is missing and how to get it', () => {
    const config = loadConfig({ DISCORD_CLIENT_ID: '123456789012345678' });
    expect(() => requireSettings(config, ['DISCORD_TOKEN', 'DISCORD_CLIENT_ID'])).toThrow(/DISCORD_TOKEN is not set: Discord Developer Portal/);
    expect(() => requireSettings(config, ['DISCORD_CLIENT_ID'])).not.toThrow();
  });
});
