import { expect } from 'chai';
import { StreamRecording } from '../../../api/src/inference/stream-recording.js';

describe('api/inference/stream-recording', () => {
  it('estimates the output of a stream cut short: four characters a token of text, a token per passed-through event', () => {
    const text = new StreamRecording();
    expect(text.outputTokensEstimate()).to.equal(0);
    text.add({ type: 'text', text: 'Once upon a time' });
    expect(text.outputTokensEstimate()).to.equal(4);
    const frames = new StreamRecording();
    for (const word of ['Once', ' upon', ' a']) {
      frames.add({
        type: 'frame',
        frame: `data: {"choices":[{"index":0,"delta":{"content":"${word}"}}]}\n\n`,
      });
    }
    expect(frames.outputTokensEstimate()).to.equal(3);
    expect(frames.stored()).to.equal(undefined); // never ended: not cached
  });
});
