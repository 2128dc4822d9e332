package secretsmanager

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
)

// fake is an in-memory Secrets Manager for unit tests. It records the
// operations called and can be told to fail some.
type fake struct {
	mu       sync.Mutex
	account  string
	region   string
	secrets  []*fakeSecret
	calls    []string
	batches  [][]string       // SecretIdList of each BatchGetSecretValue
	fail     map[string]error // operation → error to return
	motoLike bool             // BatchGetSecretValue fails whole when a secret has no value
	latency  time.Duration    // of each BatchGetSecretValue, as of a round trip
	next     int
}

type fakeSecret struct {
	arn, name, desc, kms, policy string
	tags                         []types.Tag
	versions                     []*fakeVersion
	deleted                      bool
	rotation                     bool
	created                      time.Time
}

type fakeVersion struct {
	id      string
	str     *string
	bin     []byte
	stages  []string
	created time.Time // set by put if zero
}

func newFake() *fake {
	return &fake{account: "111111111111", region: "eu-central-1", fail: map[string]error{}}
}

func apiErr(code string) error { return &smithy.GenericAPIError{Code: code, Message: code + " (fake)"} }

func (f *fake) record(op string) error {
	f.calls = append(f.calls, op)
	return f.fail[op]
}

// find returns the secret named by id (name, full ARN or partial ARN).
func (f *fake) find(id string) *fakeSecret {
	for _, s := range f.secrets {
		if s.name == id || s.arn == id || strings.TrimSuffix(s.arn, s.arn[len(s.arn)-7:]) == id {
			return s
		}
	}
	return nil
}

// add puts a secret into the fake with the given versions, the last
// being AWSCURRENT and the one before AWSPREVIOUS.
func (f *fake) add(name, suffix string, values ...string) *fakeSecret {
	s := &fakeSecret{arn: fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", f.region, f.account, name, suffix), name: name,
		created: time.Now()}
	for i, v := range values {
		f.put(s, &fakeVersion{id: fmt.Sprintf("%08d-0000-0000-0000-%012d", i, f.next), str: aws.String(v)})
	}
	f.secrets = append(f.secrets, s)
	return s
}

func (f *fake) put(s *fakeSecret, v *fakeVersion) {
	f.next++
	if v.created.IsZero() {
		v.created = time.Now()
	}
	for _, old := range s.versions {
		old.stages = nil
	}
	if n := len(s.versions); n > 0 {
		s.versions[n-1].stages = []string{stagePrevious}
	}
	v.stages = []string{stageCurrent}
	s.versions = append(s.versions, v)
}

func (s *fakeSecret) stages() map[string][]string {
	m := map[string][]string{}
	for _, v := range s.versions {
		if len(v.stages) > 0 {
			m[v.id] = v.stages
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

func (s *fakeSecret) stage(label string) *fakeVersion {
	for _, v := range s.versions {
		for _, l := range v.stages {
			if l == label {
				return v
			}
		}
	}
	return nil
}

func (f *fake) DescribeSecret(_ context.Context, in *awssm.DescribeSecretInput, _ ...func(*awssm.Options)) (*awssm.DescribeSecretOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("DescribeSecret"); err != nil {
		return nil, err
	}
	s := f.find(aws.ToString(in.SecretId))
	if s == nil {
		return nil, apiErr("ResourceNotFoundException")
	}
	out := &awssm.DescribeSecretOutput{ARN: aws.String(s.arn), Name: aws.String(s.name), Description: nonEmpty(s.desc),
		KmsKeyId: nonEmpty(s.kms), Tags: s.tags, VersionIdsToStages: s.stages(), CreatedDate: aws.Time(s.created)}
	if s.deleted {
		out.DeletedDate = aws.Time(time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC))
	}
	if s.rotation {
		out.RotationEnabled = aws.Bool(true)
		out.RotationLambdaARN = aws.String("arn:aws:lambda:eu-central-1:111111111111:function:rotate")
		out.RotationRules = &types.RotationRulesType{AutomaticallyAfterDays: aws.Int64(30)}
	}
	return out, nil
}

func (f *fake) GetSecretValue(_ context.Context, in *awssm.GetSecretValueInput, _ ...func(*awssm.Options)) (*awssm.GetSecretValueOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("GetSecretValue"); err != nil {
		return nil, err
	}
	s := f.find(aws.ToString(in.SecretId))
	if s == nil {
		return nil, apiErr("ResourceNotFoundException")
	}
	if s.deleted {
		return nil, apiErr("InvalidRequestException")
	}
	v := s.stage(aws.ToString(in.VersionStage))
	if v == nil {
		return nil, apiErr("ResourceNotFoundException")
	}
	return &awssm.GetSecretValueOutput{ARN: aws.String(s.arn), VersionId: aws.String(v.id), SecretString: v.str, SecretBinary: v.bin,
		VersionStages: v.stages, CreatedDate: aws.Time(v.created)}, nil
}

func (f *fake) GetResourcePolicy(_ context.Context, in *awssm.GetResourcePolicyInput, _ ...func(*awssm.Options)) (*awssm.GetResourcePolicyOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("GetResourcePolicy"); err != nil {
		return nil, err
	}
	if err := f.fail["GetResourcePolicy:"+aws.ToString(in.SecretId)]; err != nil { // one secret only
		return nil, err
	}
	s := f.find(aws.ToString(in.SecretId))
	if s == nil {
		return nil, apiErr("ResourceNotFoundException")
	}
	return &awssm.GetResourcePolicyOutput{ARN: aws.String(s.arn), ResourcePolicy: nonEmpty(s.policy)}, nil
}

// ListSecrets pages 3 secrets at a time (whatever MaxResults says) and
// supports the "name" filter only.
func (f *fake) ListSecrets(_ context.Context, in *awssm.ListSecretsInput, _ ...func(*awssm.Options)) (*awssm.ListSecretsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("ListSecrets"); err != nil {
		return nil, err
	}
	var sel []*fakeSecret
	for _, s := range f.secrets {
		if s.deleted && !aws.ToBool(in.IncludePlannedDeletion) {
			continue
		}
		ok := true
		for _, flt := range in.Filters {
			if flt.Key == types.FilterNameStringTypeName && !strings.HasPrefix(s.name, flt.Values[0]) {
				ok = false
			}
		}
		if ok {
			sel = append(sel, s)
		}
	}
	start := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &start)
	}
	end := min(start+3, len(sel))
	out := &awssm.ListSecretsOutput{}
	for _, s := range sel[start:end] {
		e := types.SecretListEntry{ARN: aws.String(s.arn), Name: aws.String(s.name), Description: nonEmpty(s.desc),
			KmsKeyId: nonEmpty(s.kms), Tags: s.tags, SecretVersionsToStages: s.stages()}
		out.SecretList = append(out.SecretList, e)
	}
	if end < len(sel) {
		out.NextToken = aws.String(fmt.Sprint(end))
	}
	return out, nil
}

func (f *fake) BatchGetSecretValue(_ context.Context, in *awssm.BatchGetSecretValueInput, _ ...func(*awssm.Options)) (*awssm.BatchGetSecretValueOutput, error) {
	time.Sleep(f.latency)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("BatchGetSecretValue"); err != nil {
		return nil, err
	}
	f.batches = append(f.batches, append([]string(nil), in.SecretIdList...))
	out := &awssm.BatchGetSecretValueOutput{}
	for _, id := range in.SecretIdList {
		s := f.find(id)
		var v *fakeVersion
		if s != nil {
			v = s.stage(stageCurrent)
		}
		switch {
		case s == nil || v == nil:
			if f.motoLike {
				return nil, apiErr("ResourceNotFoundException")
			}
			out.Errors = append(out.Errors, types.APIErrorType{SecretId: aws.String(id), ErrorCode: aws.String("ResourceNotFoundException")})
		case s.deleted:
			out.Errors = append(out.Errors, types.APIErrorType{SecretId: aws.String(id), ErrorCode: aws.String("InvalidRequestException")})
		default:
			out.SecretValues = append(out.SecretValues, types.SecretValueEntry{ARN: aws.String(s.arn), Name: aws.String(s.name),
				VersionId: aws.String(v.id), SecretString: v.str, SecretBinary: v.bin, VersionStages: v.stages, CreatedDate: aws.Time(v.created)})
		}
	}
	return out, nil
}

func (f *fake) CreateSecret(_ context.Context, in *awssm.CreateSecretInput, _ ...func(*awssm.Options)) (*awssm.CreateSecretOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("CreateSecret"); err != nil {
		return nil, err
	}
	name := aws.ToString(in.Name)
	if old := f.find(name); old != nil {
		// As AWS documents: the same token with the same value is an
		// idempotent retry, which succeeds.
		for _, v := range old.versions {
			if in.ClientRequestToken != nil && v.id == *in.ClientRequestToken &&
				aws.ToString(v.str) == aws.ToString(in.SecretString) && string(v.bin) == string(in.SecretBinary) {
				return &awssm.CreateSecretOutput{ARN: aws.String(old.arn), Name: aws.String(name)}, nil
			}
		}
		return nil, apiErr("ResourceExistsException")
	}
	suffix := "RaNdOm"
	for _, t := range in.Tags {
		if aws.ToString(t.Key) == customIDTag {
			suffix = aws.ToString(t.Value)
		}
	}
	s := &fakeSecret{arn: fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", f.region, f.account, name, suffix),
		name: name, desc: aws.ToString(in.Description), kms: aws.ToString(in.KmsKeyId), tags: in.Tags, created: time.Now()}
	if in.SecretString != nil || in.SecretBinary != nil {
		id := aws.ToString(in.ClientRequestToken)
		if id == "" {
			id = fmt.Sprintf("generated-%d", f.next)
		}
		f.put(s, &fakeVersion{id: id, str: in.SecretString, bin: in.SecretBinary})
	}
	f.secrets = append(f.secrets, s)
	return &awssm.CreateSecretOutput{ARN: aws.String(s.arn), Name: aws.String(name)}, nil
}

func (f *fake) PutSecretValue(_ context.Context, in *awssm.PutSecretValueInput, _ ...func(*awssm.Options)) (*awssm.PutSecretValueOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("PutSecretValue"); err != nil {
		return nil, err
	}
	s := f.find(aws.ToString(in.SecretId))
	if s == nil {
		return nil, apiErr("ResourceNotFoundException")
	}
	id := aws.ToString(in.ClientRequestToken)
	if id == "" {
		id = fmt.Sprintf("generated-%d", f.next)
	}
	f.put(s, &fakeVersion{id: id, str: in.SecretString, bin: in.SecretBinary})
	return &awssm.PutSecretValueOutput{ARN: aws.String(s.arn), VersionId: aws.String(id)}, nil
}

func (f *fake) PutResourcePolicy(_ context.Context, in *awssm.PutResourcePolicyInput, _ ...func(*awssm.Options)) (*awssm.PutResourcePolicyOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("PutResourcePolicy"); err != nil {
		return nil, err
	}
	s := f.find(aws.ToString(in.SecretId))
	if s == nil {
		return nil, apiErr("ResourceNotFoundException")
	}
	s.policy = aws.ToString(in.ResourcePolicy)
	return &awssm.PutResourcePolicyOutput{}, nil
}

func (f *fake) DeleteSecret(_ context.Context, in *awssm.DeleteSecretInput, _ ...func(*awssm.Options)) (*awssm.DeleteSecretOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("DeleteSecret"); err != nil {
		return nil, err
	}
	for i, s := range f.secrets {
		if s == f.find(aws.ToString(in.SecretId)) {
			f.secrets = append(f.secrets[:i], f.secrets[i+1:]...)
			return &awssm.DeleteSecretOutput{}, nil
		}
	}
	return nil, apiErr("ResourceNotFoundException")
}
