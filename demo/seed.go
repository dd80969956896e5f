package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
)

// Product is the demo product's default id.
const Product = "checkout"

// Executor records commands; *command.Handler is one.
type Executor interface {
	// Execute records c, or reports that its id was recorded before.
	Execute(ctx context.Context, c domain.Command) (command.Result, error)
}

// Summary says what Seed did.
type Summary struct {
	Commands int // commands in the script
	Written  int // commands recorded now
	Skipped  int // commands already recorded by an earlier run
	Events   int // events written now
}

// ErrNotDemo is returned when the product exists but the demo did not
// create it: the demo never writes into a real product.
var ErrNotDemo = errors.New("product exists and was not created by the demo")

// Seed writes the demo history for product, skipping every command an
// earlier run recorded, so running it twice duplicates nothing and a run
// that was interrupted resumes where it stopped.
func Seed(ctx context.Context, ex Executor, product string) (Summary, error) {
	cmds := Commands(product)
	sum := Summary{Commands: len(cmds)}
	for i, c := range cmds {
		res, err := ex.Execute(ctx, c)
		if err != nil {
			if i == 0 && errors.Is(err, domain.ErrState) {
				return sum, fmt.Errorf("cannot seed %q: %w; pass another id with -p", product, ErrNotDemo)
			}
			return sum, fmt.Errorf("demo step %s (%s by %s): %w", c.ID, c.Action.Verb(), c.Actor, err)
		}
		if res.Duplicate {
			sum.Skipped++
			continue
		}
		sum.Written++
		sum.Events += len(res.Events)
	}
	return sum, nil
}
