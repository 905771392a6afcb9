"""From runs to answers: figures, survival statistics, sensitivity, reports."""
