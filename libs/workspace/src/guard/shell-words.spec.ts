import { tokenizeShell, type ShellToken } from './shell-words';

const show = (tokens: ShellToken[]) => tokens.map((t) => (t.kind === 'op' ? `<${t.value}>` : t.value));

describe('tokenizeShell', () => {
  it.each<[string, string[]]>([
    ['ls -la src', ['ls', '-la', 'src']],
    ["cat 'a b' \"c d\" e\\ f", ['cat', 'a b', 'c d', 'e f']],
    ['a&&b||c;d|e&f', ['a', '<&&>', 'b', '<||>', 'c', '<;>', 'd', '<|>', 'e', '<&>', 'f']],
    ['cmd 2>/dev/null >>log <in &>all', ['cmd', '<2>>', '/dev/null', '<>>>', 'log', '<<>', 'in', '<&>>', 'all']],
    ['echo a2>x', ['echo', 'a2', '<>>', 'x']], // digits glued to a word are not an fd
    ['(cd x) ; y', ['<(>', 'cd', 'x', '<)>', '<;>', 'y']],
    ['echo hi # cat /etc/passwd', ['echo', 'hi']],
    ['echo a#b', ['echo', 'a#b']],
    ['a\nb', ['a', '<;>', 'b']],
    ['echo "$(cat /etc/x | tr a b)" done', ['echo', '$(cat /etc/x | tr a b)', 'done']],
    ['echo `pwd`/x', ['echo', '`pwd`/x']],
    ['echo "a \\"q\\" \\$x"', ['echo', 'a "q" $x']],
    ['cat <<EOF\n/etc/passwd\nEOF\nls', ['cat', '<<<>', 'EOF', '<;>', 'ls']],
    ['cat <<-END >out\n\t/x\n\tEND\nnext', ['cat', '<<<->', 'END', '<>>', 'out', '<;>', 'next']],
  ])('%j', (input, expected) => {
    expect(show(tokenizeShell(input).tokens)).toEqual(expected);
  });

  it('marks tilde and dynamic words', () => {
    const words = tokenizeShell('cat ~/x "~/y" $HOME/z \'$Q\' "$R"').tokens.filter((t) => t.kind === 'word');
    expect(words.map((w) => [w.value, w.tilde, w.dynamic])).toEqual([
      ['cat', false, false],
      ['~/x', true, false],
      ['~/y', false, false],
      ['$HOME/z', false, true],
      ['$Q', false, false],
      ['$R', false, true],
    ]);
  });

  it('notes what it skipped', () => {
    expect(tokenizeShell("echo 'open").notes).toEqual(['unterminated single quote']);
    expect(tokenizeShell('cat <<EOF\nbody\nEOF').notes).toEqual(['heredoc body (EOF) not analysed']);
  });
});
