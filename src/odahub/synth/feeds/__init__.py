"""Partner feeds: records as each partner holds them, errors, file formats, and feed specs."""
