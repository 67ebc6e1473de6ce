print("word-count")
