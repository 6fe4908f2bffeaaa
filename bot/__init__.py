"""coachbot: a coaching assistant that lives in messaging apps."""
