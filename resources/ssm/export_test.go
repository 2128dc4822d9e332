package ssm

import "github.com/aws/aws-sdk-go-v2/aws"

// TaggingAPI is the Tagging API client the adapter uses, for tests.
type TaggingAPI = taggingAPI

// NewWithTagging returns the adapter with its Tagging API clients made by mk.
func NewWithTagging(mk func(aws.Config) TaggingAPI) *Parameter {
	p := New()
	p.newTaggingClient = mk
	return p
}
