package alertmanager

import "context"

// Expire exposes expire to the tests.
func Expire(c *Client, ctx context.Context, silenceID string) error { return c.expire(ctx, silenceID) }
