"""The SWV's dashboard: the successor of DUO's Dashboards Samenwerkingsverbanden 1a, 1b and 2,
built from nothing but the versions in the SWV's own folder (so it can hold no other SWV's pupil)."""
