"""User accounts shared by every audience: candidates, verifiers, centre staff and board staff.

Who a user is (candidate account, centre staff membership, board staff) lives in the app that owns that
role; this app only holds the user model and the password hasher, so the model can be swapped once.
"""
