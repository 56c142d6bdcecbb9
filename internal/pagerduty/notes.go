package pagerduty

import (
	"context"
	"net/url"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
)

// Note is an incident note.
type Note struct {
	ID        string
	Content   string
	User      Reference
	CreatedAt time.Time
}

type noteJSON struct {
	ID        string        `json:"id"`
	Content   string        `json:"content"`
	User      referenceJSON `json:"user"`
	CreatedAt string        `json:"created_at"`
}

func (j noteJSON) note() (Note, error) {
	at, err := parseTime(j.CreatedAt)
	return Note{ID: j.ID, Content: j.Content, User: j.User.ref(), CreatedAt: at}, err
}

// ListNotes returns an incident's notes (PagerDuty does not page them).
func (c *Client) ListNotes(ctx context.Context, incidentID string) ([]Note, error) {
	var body struct {
		Notes []noteJSON `json:"notes"`
	}
	if err := c.doJSON(ctx, "listing notes of incident "+incidentID, "GET", "/incidents/"+url.PathEscape(incidentID)+"/notes", nil, &body); err != nil {
		return nil, err
	}
	out := make([]Note, 0, len(body.Notes))
	for _, j := range body.Notes {
		n, err := j.note()
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// AddNote adds a note to an incident, as the From user. It is retried only
// on 429 or a refused connection: after a 5xx PagerDuty may have stored it.
func (c *Client) AddNote(ctx context.Context, incidentID, content string) (Note, error) {
	var body struct {
		Note noteJSON `json:"note"`
	}
	in := map[string]any{"note": map[string]any{"content": content}}
	if err := c.doJSON(httpretry.NotIdempotent(ctx), "adding a note to incident "+incidentID, "POST",
		"/incidents/"+url.PathEscape(incidentID)+"/notes", in, &body); err != nil {
		return Note{}, err
	}
	return body.Note.note()
}
