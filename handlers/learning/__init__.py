"""Learning: the module menu, guided modules, quizzes and the readiness self-assessment."""
