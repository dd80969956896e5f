package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/decisionledger/ledger/domain"
)

// Exit codes, as documented in the README.
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitRefused  = 3
	exitConflict = 4
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ledger: "+escapeControls(oneLine(err.Error())))
	}
	os.Exit(exitCode(err))
}

// usageError is a mistake in how the command was called.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitCode maps an error to the documented exit codes.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var u *usageError
	if errors.As(err, &u) {
		return exitUsage
	}
	switch domain.KindOf(err) {
	case domain.KindMalformed:
		// Input that cannot be read (an export that is no export, an
		// unknown field of a map file): a usage error, as the README's
		// table of exit codes and the service's 400 say.
		return exitUsage
	case domain.KindInvalid, domain.KindUnauthorized, domain.KindNotFound, domain.KindState:
		return exitRefused
	case domain.KindConflict:
		return exitConflict
	}
	return exitFailure
}

// oneLine folds a multi-line message (cobra's suggestions) into one line.
func oneLine(s string) string {
	fields := strings.Fields(strings.ReplaceAll(s, "\n", " "))
	return strings.Join(fields, " ")
}

// run is main without the process: tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	a := newApp(stdin, stdout, stderr)
	defer a.close()
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	var u *usageError
	if err != nil && !errors.As(err, &u) && isCobraUsage(err) {
		return &usageError{msg: suggestFix(root, args, err)}
	}
	return withFlag(root, args, err)
}

// withFlag points an error about a field at the flag that gave it: the
// core names fields ("plannedAsOf"), the user typed flags
// ("--planned-as-of").
func withFlag(root *cobra.Command, args []string, err error) error {
	field := domain.FieldOf(err)
	if field == "" {
		return err
	}
	cmd, _, ferr := root.Find(args)
	if ferr != nil || cmd == nil {
		return err
	}
	flag := kebab(field)
	if cmd.Flags().Lookup(flag) == nil {
		return err
	}
	return &flagHint{err: err, flag: flag}
}

// flagHint is an error with the flag it is about.
type flagHint struct {
	err  error
	flag string
}

func (e *flagHint) Error() string { return e.err.Error() + " (--" + e.flag + ")" }
func (e *flagHint) Unwrap() error { return e.err }

// kebab writes a field name as a flag: plannedAsOf is planned-as-of.
func kebab(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('-')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
