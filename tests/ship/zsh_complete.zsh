# Completes a command line in a real interactive zsh (on a pseudo-terminal, zsh/zpty) with
# compinit and the given fpath directory, and prints the matches offered, one a line.
# Usage: zsh -f zsh_complete.zsh FPATHDIR 'command line'
# compadd is wrapped to print each match it adds; the completion system then exits the shell.
zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z "PROMPT=''; fpath=(${(q)1} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z 'bindkey "^I" complete-word; zstyle ":completion:*" insert-tab false'
# (the marker is split in the source so that the echoed command line never matches it)
zpty -w z 'compadd () { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi; local -a h; builtin compadd -A h "$@"; (( $#h )) && print -rl -- "MA""TCH:"${^h}; builtin compadd "$@"; }'
zpty -w z 'comppostfuncs=(exit)'
zpty -w -n z "$2"$'\t'
out=
while zpty -r z line; do out+=$line; done
print -r -- "$out" | tr -d '\r' | grep -ao 'MATCH:[^[:cntrl:]]*' | sed 's/^MATCH://' | sort -u
