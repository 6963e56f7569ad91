"""The law's rules as data: send windows and message caps by state (``states.toml``), and
where a client is (``places``). No database, clock or network here."""
