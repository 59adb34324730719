package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"cogpass/cognito"
)

const completionExample = `Complete cogpass commands and flags in bash, for this shell and every new one:

  source <(cogpass completion bash)
  cogpass completion bash > ~/.local/share/bash-completion/completions/cogpass

zsh (after compinit) and fish:

  cogpass completion zsh > "${fpath[1]}/_cogpass"
  cogpass completion fish > ~/.config/fish/completions/cogpass.fish
`

// Values some flags take, completed as words, and flags that name files.
// A key is "COMMAND FLAG" for one command, or "FLAG" for all. Flags in
// neither take free text.
var (
	flagWords = map[string][]string{
		"log-format":           {"text", "json"},
		"manifest-format":      {"csv", "jsonl"},
		"policy output":        {"text", "json"},
		"export output-format": {"csv", "jsonl"},
		"export status":        cognito.UserStatuses(),
		"skip-status":          cognito.UserStatuses(),
	}
	fileFlags = map[string]bool{
		"manifest": true, "report": true, "secrets": true, "policy-file": true,
		"secrets-recipients-file": true, "summary-json": true, "seed-manifest": true,
		"export output": true, "export exclude": true, "verify output": true,
	}
	completionShells = []string{"bash", "zsh", "fish"}
)

// flagInfo is one flag of a command, as the completion scripts need it.
type flagInfo struct {
	name  string
	usage string   // the first sentence of the help text
	bool  bool     // takes no value
	file  bool     // takes a file name
	words []string // takes one of these
}

// withHints fills in what cmd's flag takes.
func (f flagInfo) withHints(cmd string) flagInfo {
	f.file = fileFlags[cmd+" "+f.name] || fileFlags[f.name]
	if w, ok := flagWords[cmd+" "+f.name]; ok {
		f.words = w
	} else {
		f.words = flagWords[f.name]
	}
	return f
}

// cmdInfo is a command's names (its name and its alias) and its flags.
type cmdInfo struct {
	names []string
	flags []flagInfo
}

// completionFlagSet is the completion command's FlagSet: no flags, a
// usage of its own.
func completionFlagSet(stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("completion", completionExample, stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: cogpass completion bash|zsh|fish\n\n"+
			"Prints a completion script for the shell: cogpass's commands, and each\n"+
			"command's flags and the values some of them take.\n\nExample:\n%s", indent(completionExample))
	}
	return fs
}

func runCompletion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := completionFlagSet(stderr)
	if err := parseFlagsWithArgs(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("completion: name one shell: %s", strings.Join(completionShells, ", "))
	}
	groups := completionCommands()
	switch fs.Arg(0) {
	case "bash":
		return writeBashCompletion(stdout, groups)
	case "zsh":
		return writeZshCompletion(stdout, groups)
	case "fish":
		return writeFishCompletion(stdout, groups)
	}
	return usageError("completion: unknown shell %q: want %s", fs.Arg(0), strings.Join(completionShells, ", "))
}

// completionCommands lists the commands of the table, each with its alias
// and the flags of the FlagSet it parses.
func completionCommands() []cmdInfo {
	groups := make([]cmdInfo, 0, len(commands))
	for i := range commands {
		c := &commands[i]
		groups = append(groups, cmdInfo{names: c.names(), flags: flagInfos(c.name, c.flags())})
	}
	return groups
}

// flagInfos lists a FlagSet's flags, sorted by name (as VisitAll visits
// them), with what each takes. The usage is the help's: the value name's
// back quotes taken out (flag.UnquoteUsage), cut to its first sentence.
func flagInfos(cmd string, fs *flag.FlagSet) []flagInfo {
	var flags []flagInfo
	fs.VisitAll(func(f *flag.Flag) {
		_, usage := flag.UnquoteUsage(f)
		b, ok := f.Value.(interface{ IsBoolFlag() bool })
		flags = append(flags, flagInfo{name: f.Name, usage: firstSentence(usage), bool: ok && b.IsBoolFlag()}.withHints(cmd))
	})
	return flags
}

// firstSentence keeps completion menus short.
func firstSentence(s string) string {
	s = strings.TrimSpace(strings.SplitN(s, "\n", 2)[0])
	for _, sep := range []string{"; ", ". ", " (default"} {
		if i := strings.Index(s, sep); i > 0 {
			s = s[:i]
		}
	}
	return s
}

func writeBashCompletion(w io.Writer, groups []cmdInfo) error {
	var b strings.Builder
	b.WriteString(`# bash completion for cogpass. Load it with:
#   source <(cogpass completion bash)
_cogpass() {
    local cur="${COMP_WORDS[COMP_CWORD]}"
    local prev=""
    if (( COMP_CWORD > 0 )); then prev="${COMP_WORDS[COMP_CWORD-1]}"; fi
    if (( COMP_CWORD == 1 )); then
        COMPREPLY=( $(compgen -W "`)
	b.WriteString(strings.Join(allCommandNames(), " "))
	b.WriteString(` --help --version" -- "$cur") )
        return 0
    fi
    local flags="" files="" words="" values=""
    case "${COMP_WORDS[1]}" in
`)
	for _, g := range groups {
		if g.names[0] == "completion" {
			fmt.Fprintf(&b, "    completion)\n        if (( COMP_CWORD == 2 )); then COMPREPLY=( $(compgen -W %s -- \"$cur\") ); fi\n        return 0\n        ;;\n", zshQuote(strings.Join(completionShells, " ")))
			continue
		}
		var all, files, values []string
		var wordCases strings.Builder
		for _, f := range g.flags {
			all = append(all, "--"+f.name)
			switch {
			case f.file:
				files = append(files, "--"+f.name)
			case len(f.words) > 0:
				fmt.Fprintf(&wordCases, "        --%s) words=%s ;;\n", f.name, zshQuote(strings.Join(f.words, " ")))
			case !f.bool:
				values = append(values, "--"+f.name)
			}
		}
		fmt.Fprintf(&b, "    %s)\n", strings.Join(g.names, "|"))
		fmt.Fprintf(&b, "        flags=%s\n        files=%s\n        values=%s\n", zshQuote(strings.Join(all, " ")), zshQuote(strings.Join(files, " ")), zshQuote(strings.Join(values, " ")))
		if wordCases.Len() > 0 {
			fmt.Fprintf(&b, "        case \"$prev\" in\n%s        esac\n", wordCases.String())
		}
		b.WriteString("        ;;\n")
	}
	b.WriteString(`    *)
        return 0
        ;;
    esac
    if [[ -n "$words" ]]; then
        COMPREPLY=( $(compgen -W "$words" -- "$cur") )
        return 0
    fi
    if [[ " $files " == *" $prev "* ]]; then
        compopt -o filenames 2>/dev/null
        COMPREPLY=( $(compgen -f -- "$cur") )
        return 0
    fi
    if [[ " $values " == *" $prev "* ]]; then
        COMPREPLY=()
        return 0
    fi
    if [[ "$cur" == -* || -z "$cur" ]]; then
        COMPREPLY=( $(compgen -W "$flags" -- "$cur") )
    fi
    return 0
}
complete -F _cogpass cogpass
`)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeZshCompletion(w io.Writer, groups []cmdInfo) error {
	var b strings.Builder
	b.WriteString(`#compdef cogpass
# zsh completion for cogpass. Save it as _cogpass in a directory of $fpath,
# or load it after compinit with: source <(cogpass completion zsh)
_cogpass() {
    local -a commands
    commands=(
`)
	for _, g := range groups {
		for _, name := range g.names {
			fmt.Fprintf(&b, "        %s\n", zshQuote(name+":"+zshEscape(summaryOf(name), ":")))
		}
	}
	b.WriteString(`    )
    if (( CURRENT == 2 )); then
        _describe -t commands 'cogpass command' commands
        return
    fi
    local cmd=$words[2]
    shift words
    (( CURRENT-- ))
    case $cmd in
`)
	for _, g := range groups {
		fmt.Fprintf(&b, "    %s)\n", strings.Join(g.names, "|"))
		if g.names[0] == "completion" {
			fmt.Fprintf(&b, "        _arguments '1:shell:(%s)'\n        ;;\n", strings.Join(completionShells, " "))
			continue
		}
		b.WriteString("        _arguments -S")
		for _, f := range g.flags {
			spec := "--" + f.name + "[" + zshEscape(f.usage, "[]") + "]"
			switch {
			case f.bool:
			case f.file:
				spec += ":file:_files"
			case len(f.words) > 0:
				spec += ":" + f.name + ":(" + strings.Join(f.words, " ") + ")"
			default:
				spec += ":" + f.name + ": "
			}
			fmt.Fprintf(&b, " \\\n            %s", zshQuote(spec))
		}
		b.WriteString("\n        ;;\n")
	}
	b.WriteString(`    esac
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _cogpass "$@"
else
    compdef _cogpass cogpass
fi
`)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeFishCompletion(w io.Writer, groups []cmdInfo) error {
	var b strings.Builder
	b.WriteString(`# fish completion for cogpass. Save it as
# ~/.config/fish/completions/cogpass.fish, or: cogpass completion fish | source
complete -c cogpass -f
complete -c cogpass -n __fish_use_subcommand -l help -d 'show usage'
complete -c cogpass -n __fish_use_subcommand -l version -d 'print the version'
`)
	for _, g := range groups {
		for _, name := range g.names {
			fmt.Fprintf(&b, "complete -c cogpass -n __fish_use_subcommand -a %s -d %s\n", fishQuote(name), fishQuote(summaryOf(name)))
		}
	}
	for _, g := range groups {
		cond := fishQuote("__fish_seen_subcommand_from " + strings.Join(g.names, " "))
		if g.names[0] == "completion" {
			fmt.Fprintf(&b, "complete -c cogpass -n %s -a %s\n", cond, fishQuote(strings.Join(completionShells, " ")))
			continue
		}
		for _, f := range g.flags {
			opts := ""
			switch {
			case f.bool:
			case f.file:
				opts = " -r -F"
			case len(f.words) > 0:
				opts = " -x -a " + fishQuote(strings.Join(f.words, " "))
			default:
				opts = " -x"
			}
			fmt.Fprintf(&b, "complete -c cogpass -n %s -l %s%s -d %s\n", cond, f.name, opts, fishQuote(f.usage))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// zshEscape backslash-escapes chars (and backslashes) in an _arguments or
// _describe field.
func zshEscape(s, chars string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '\\' || strings.ContainsRune(chars, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// zshQuote single-quotes s for zsh and bash.
func zshQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// fishQuote single-quotes s for fish, where only \ and ' are special.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
