import { SingleFlight } from './single-flight';

it('callers of a key share its run while it is under way, and a later caller starts a new one', async () => {
  const f = new SingleFlight();
  let runs = 0;
  let release!: (v: number) => void;
  const lookup = () => {
    runs++;
    return new Promise<number>((r) => (release = r));
  };
  const a = f.run('k', lookup);
  const b = f.run('k', lookup);
  expect(runs).toBe(1);
  release(7);
  expect(await Promise.all([a, b])).toEqual([7, 7]);
  expect(f.size).toBe(0);
  const c = f.run('k', lookup);
  expect(runs).toBe(2);
  release(8);
  expect(await c).toBe(8);
});

it('keys run apart, and a failed run is shared and then forgotten', async () => {
  const f = new SingleFlight();
  let runs = 0;
  const fail = () => {
    runs++;
    return Promise.reject(new Error('boom'));
  };
  const [x, y] = [f.run('a', fail), f.run('a', fail)];
  await expect(x).rejects.toThrow('boom');
  await expect(y).rejects.toThrow('boom');
  expect(runs).toBe(1);
  expect(await f.run('b', () => Promise.resolve('b'))).toBe('b');
  await expect(f.run('a', fail)).rejects.toThrow('boom');
  expect(runs).toBe(2);
});
