package ratings

import (
	"errors"
	"net/http"
	"time"

	"github.com/boxlab/boxlab/devices/httpauth/digest"
)

// OperatorUser is the Digest user name of the operator API.
const OperatorUser = "operator"

// Subscriptions is the operator API's view of one user's subscriptions.
type Subscriptions struct {
	User          string   `json:"user"`
	Subscriptions []string `json:"subscriptions"`
	Online        bool     `json:"online"` // a change reaches the terminal now; else when it next comes online
}

// The operator API (seed 004 §1: subscriptions change on either side and
// stay in sync): the operator reads and changes a subscriber's channel
// subscriptions; the server stores the change and, if the terminal is
// online, pushes its list (SUBS ... operator) over the control channel at
// once, else when it next comes online. Changes the terminal makes (SUB,
// UNSUB) show here. HTTP Digest as user "operator" in realm
// "operator@<realm>":
//
//	GET    /subscriptions/{user}            -> Subscriptions
//	PUT    /subscriptions/{user}/{service}  subscribe   -> Subscriptions
//	DELETE /subscriptions/{user}/{service}  unsubscribe -> Subscriptions
//
// A bad user id is 400, an unknown service 404; both are logged
// (ratings.operator_rejected) and change nothing.
func (s *Server) operatorRoutes(mux *http.ServeMux) {
	s.opAuth = digest.NewServer("operator@"+s.Options.Realm, s.operatorPassword, s.simNow, time.Duration(s.Options.NonceTTL))
	mux.HandleFunc("GET /subscriptions/{user}", s.operator(false, false))
	mux.HandleFunc("PUT /subscriptions/{user}/{service}", s.operator(true, true))
	mux.HandleFunc("DELETE /subscriptions/{user}/{service}", s.operator(true, false))
}

func (s *Server) operatorPassword(user string) (string, bool) {
	if user != OperatorUser {
		return "", false
	}
	if s.Options.OperatorPassword != "" {
		return s.Options.OperatorPassword, true
	}
	if s.Options.Secret == "" {
		return "", false
	}
	return DerivePassword(s.Options.Secret, OperatorUser), true
}

// operator handles one operator request: change (PUT/DELETE) turns the
// subscription on or off; GET only reads.
func (s *Server) operator(change, on bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.opAuth.Check(r.Method, r.RequestURI, r.Header.Get("Authorization")); err != nil {
			if !errors.Is(err, digest.ErrMissing) {
				s.log.Info("ratings.operator_rejected", "reason", "auth_"+authReason(err), "from", r.RemoteAddr)
			}
			for _, c := range s.opAuth.Challenges(errors.Is(err, digest.ErrStale)) {
				w.Header().Add("WWW-Authenticate", c)
			}
			http.Error(w, "401 Unauthorized: "+err.Error(), http.StatusUnauthorized)
			return
		}
		user, svc := r.PathValue("user"), r.PathValue("service")
		if err := checkID(user); err != nil {
			s.log.Info("ratings.operator_rejected", "reason", "bad_user", "err", err.Error())
			http.Error(w, "400 bad user: "+err.Error(), http.StatusBadRequest)
			return
		}
		if change {
			if !s.validService(svc) {
				s.log.Info("ratings.operator_rejected", "reason", "no_service", "user", user, "service", clip(svc))
				http.Error(w, "404 no such service: "+clip(svc), http.StatusNotFound)
				return
			}
			if err := s.db.setSubscription(r.Context(), user, svc, on); err != nil {
				http.Error(w, "500 store: "+err.Error(), http.StatusInternalServerError)
				return
			}
			s.log.Info("ratings.subscription", "user", user, "service", svc, "on", on, "by", "operator")
		}
		s.onMu.Lock()
		o := s.online[user]
		s.onMu.Unlock()
		if change && o != nil {
			s.pushSubs(r.Context(), o, true)
		}
		subs, err := s.db.subscriptions(r.Context(), user)
		if err != nil {
			http.Error(w, "500 store: "+err.Error(), http.StatusInternalServerError)
			return
		}
		writeJSON(w, Subscriptions{User: user, Subscriptions: subs, Online: o != nil})
	}
}
