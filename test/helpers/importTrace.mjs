// `node --import ./test/helpers/importTrace.mjs …` prints every module the process loads whose
// resolved URL matches ZEGA_TRACE_IMPORTS (a regular expression), one "IMPORTED <url>" line each.
import { register } from 'node:module';

const hooks = `
const pattern = new RegExp(${JSON.stringify(process.env.ZEGA_TRACE_IMPORTS ?? '$^')});
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (pattern.test(resolved.url)) process.stderr.write('IMPORTED ' + resolved.url + '\\n');
  return resolved;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
