package ratings_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	blab "github.com/boxlab/boxlab/conformance/lab"
	"github.com/boxlab/boxlab/devices/ratings"
	"github.com/boxlab/boxlab/devices/ratings/pgtest"
)

var _ = Describe("The PostgreSQL store (a real PostgreSQL server)", func() {
	It("issue 7: with a DSN the records go to PostgreSQL; a server restart mid-run loses no acknowledged record and the ratings equal the ground truth", func() {
		if _, _, err := pgtest.Binaries(); err != nil {
			Skip(err.Error())
		}
		pg, err := pgtest.Start(context.Background())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(pg.Stop)

		// scenarios/ratings-faults.yaml (WAN changes, a 10 s server crash
		// and restart) with the server's store in PostgreSQL.
		src, err := os.ReadFile("../../scenarios/ratings-faults.yaml")
		Expect(err).NotTo(HaveOccurred())
		text := strings.Replace(string(src), "        poll: 20s\n", fmt.Sprintf("        poll: 20s\n        dsn: %q\n", pg.DSN), 1)
		Expect(text).To(ContainSubstring("dsn:"), "the scenario's server options moved; update this spec")
		text += "  - {name: the store was opened twice (start and restart), expect: \"count(ratings.store_open) == 2\"}\n"
		rep := blab.RunText("ratings-faults-postgres.yaml", text)
		blab.ExpectPass(rep)

		// What PostgreSQL holds: the server's closed viewing records, in
		// the node's schema.
		c, err := pgx.Connect(context.Background(), pg.DSN)
		Expect(err).NotTo(HaveOccurred())
		defer c.Close(context.Background())
		var closed, open int
		q := fmt.Sprintf(`SELECT count(*) FILTER (WHERE end_ms IS NOT NULL), count(*) FILTER (WHERE end_ms IS NULL) FROM %s.viewings`,
			ratings.PostgresSchema("ratings"))
		Expect(c.QueryRow(context.Background(), q).Scan(&closed, &open)).To(Succeed())
		GinkgoWriter.Printf("PostgreSQL holds %d closed and %d open viewing records\n", closed, open)
		Expect(closed).To(BeNumerically(">", 100))
		Expect(open).To(BeZero())
	})
})
