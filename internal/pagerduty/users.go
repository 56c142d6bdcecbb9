package pagerduty

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// User is an account user.
type User struct {
	ID, Name, Email string
}

// FindUserByEmail returns the user with that email (PagerDuty's `query`
// matches names and emails by substring, so every page is checked for the
// exact address).
func (c *Client) FindUserByEmail(ctx context.Context, email string) (User, error) {
	var found *User
	err := paginate(ctx, func(offset, limit uint) (bool, error) {
		q := url.Values{"query": {email}, "limit": {strconv.Itoa(int(limit))}, "offset": {strconv.Itoa(int(offset))}}
		var page struct {
			Users []struct {
				ID    string `json:"id"`
				Name  string `json:"name"`
				Email string `json:"email"`
			} `json:"users"`
			More bool `json:"more"`
		}
		if err := c.doJSON(ctx, "finding the user "+email, "GET", "/users?"+q.Encode(), nil, &page); err != nil {
			return false, err
		}
		for _, u := range page.Users {
			if strings.EqualFold(u.Email, email) {
				found = &User{ID: u.ID, Name: u.Name, Email: u.Email}
				return false, nil
			}
		}
		return page.More, nil
	})
	if err != nil {
		return User{}, err
	}
	if found == nil {
		return User{}, fmt.Errorf("no PagerDuty user has the email %s: %w", email, &Error{Status: 404, Message: "Not Found"})
	}
	return *found, nil
}

// UserEmail is the From of every write.
func (c *Client) UserEmail() string { return c.from }
