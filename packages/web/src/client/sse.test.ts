import { describe, expect, it } from 'vitest';
import { parseSse } from './sse.js';

describe('parseSse', () => {
  it.each([
    ['one message', 'id: 1\ndata: {"seq":1}\n\n', [{ id: '1', data: '{"seq":1}' }], ''],
    [
      'a comment and retry are read past',
      ': connected\nretry: 1000\n\nid: 2\ndata: x\n\n',
      [{ id: '2', data: 'x' }],
      '',
    ],
    ['an unfinished message waits for the rest', 'id: 3\ndata: {"se', [], 'id: 3\ndata: {"se'],
    ['CRLF line ends', 'id: 4\r\ndata: y\r\n\r\n', [{ id: '4', data: 'y' }], ''],
    ['multi-line data joins with newlines', 'data: a\ndata: b\n\n', [{ data: 'a\nb' }], ''],
    ['no space after the colon', 'id:5\ndata:z\n\nid: 6', [{ id: '5', data: 'z' }], 'id: 6'],
  ])('%s', (_name, input, messages, rest) => {
    expect(parseSse(input)).toEqual({ messages, rest });
  });

  it('gives the same messages however the stream is cut', () => {
    const stream = 'id: 1\ndata: {"a":1}\n\n: hb\n\nid: 2\ndata: {"b":"é"}\n\n';
    for (let cut = 0; cut <= stream.length; cut++) {
      const first = parseSse(stream.slice(0, cut));
      const second = parseSse(first.rest + stream.slice(cut));
      expect([...first.messages, ...second.messages].map((m) => m.id)).toEqual(['1', '2']);
    }
  });
});
