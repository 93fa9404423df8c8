import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTemplate, templateVariables, TemplateError } from './template.js';

const vars = (table: Record<string, string>) => (name: string) => table[name];

test('renderTemplate fills variables, dotted ones too, and keeps JSON-like braces', () => {
  const lookup = vars({ python: '3.11', 'git.short': 'abc1234' });
  assert.equal(renderTemplate('py{python}-{git.short}', lookup, []), 'py3.11-abc1234');
  assert.equal(renderTemplate('{"a": 1} {} {{python}}', lookup, []), '{"a": 1} {} {python}');
  assert.deepEqual(templateVariables('{a}-{b.c}-{{d}}'), ['a', 'b.c']);
});

test('renderTemplate names an unknown variable and can leave some for later', () => {
  assert.throws(() => renderTemplate('{pyton}', vars({ python: '3' }), ['python']), (error: unknown) => error instanceof TemplateError && error.variable === 'pyton');
  assert.equal(renderTemplate('oci:out/{name}-{python}', vars({ python: '3' }), ['python'], ['name']), 'oci:out/{name}-3');
});
