// Package pipeline reads paged listings with the reads of several pages
// under way at once: a listing's pages must be fetched one after another
// (each needs the last one's token), but what is read for each page (its
// values, its policies) need not wait for the next.
package pipeline

import (
	"context"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Pages fetches pages with next while more reports there are some, reads
// up to inFlight of them at once with read, and passes every item read to
// emit, one at a time (never concurrently). The first error (of next, read
// or emit) stops the listing, and no item is emitted after it.
func Pages[P, T any](ctx context.Context, inFlight int, more func() bool, next func(context.Context) (P, error),
	read func(context.Context, P) ([]T, error), emit func(T) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(inFlight)
	var (
		mu      sync.Mutex
		emitErr error
	)
	for more() && gctx.Err() == nil {
		page, err := next(gctx)
		if err != nil {
			_ = g.Wait()
			return err
		}
		g.Go(func() error {
			items, err := read(gctx, page)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for _, it := range items {
				if emitErr != nil {
					break
				}
				emitErr = emit(it)
			}
			return emitErr
		})
	}
	return g.Wait()
}
